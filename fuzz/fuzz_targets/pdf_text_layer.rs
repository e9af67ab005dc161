#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| docseal_fuzz::pdf_text_layer(data));
