//! libFuzzer entry of [`flowsight_fuzz::csv`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flowsight_fuzz::csv(data));
