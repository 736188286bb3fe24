//! libFuzzer entry of [`flowsight_fuzz::ndjson`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flowsight_fuzz::ndjson(data));
