#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| docseal_fuzz::decode_any(data));
