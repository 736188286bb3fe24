//! libFuzzer entry of [`flowsight_fuzz::ocel_xml`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flowsight_fuzz::ocel_xml(data));
