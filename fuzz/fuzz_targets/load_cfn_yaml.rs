//! One CloudFormation YAML file through `check`: load, link, every rule.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = shardlint_fuzz::check_one("template.yaml", data);
});
