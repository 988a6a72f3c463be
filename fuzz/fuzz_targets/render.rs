//! Every renderer on the findings and errors of one fuzzed file (Terraform or YAML by the
//! first byte), checking that no input string escapes into the output as a control character
//! or a workflow command.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let name = match kind % 3 {
        0 => "main.tf",
        1 => "template.yaml",
        _ => "template.json",
    };
    let report = shardlint_fuzz::check_one(name, rest);
    shardlint_fuzz::render_all(&report);
});
