//! `shardlint.toml` parsing and validation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = shardlint::config_file::parse(std::path::Path::new("shardlint.toml"), text) {
        let _ = e.to_string();
    }
});
