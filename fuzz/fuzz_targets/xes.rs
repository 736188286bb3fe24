//! libFuzzer entry of [`flowsight_fuzz::xes`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flowsight_fuzz::xes(data));
