//! libFuzzer entry of [`flowsight_fuzz::otlp`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flowsight_fuzz::otlp(data));
