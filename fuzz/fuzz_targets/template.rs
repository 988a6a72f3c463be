//! IoT substitution templates: parse, classify, list fields and evaluate on a payload built
//! from the same input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shardlint::template;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A template, then optionally `\n` and a JSON payload to evaluate it on.
    let (tpl, payload) = text.split_once('\n').unwrap_or((text, "{}"));
    let payload: serde_json::Value =
        serde_json::from_str(payload).unwrap_or(serde_json::Value::Null);
    let _ = template::parse_sql(tpl);
    let Ok(t) = template::parse(tpl) else { return };
    let _ = template::classify(
        &t,
        &template::ClassifyCtx {
            topic_filter: Some("fleet/+/telemetry"),
        },
    );
    let _ = template::fields(&t);
    let mut n = 0u128;
    let mut random = || {
        n += 1;
        n
    };
    let _ = template::evaluate(
        &t,
        &mut template::EvalInput {
            payload: &payload,
            topic: Some("fleet/v1/telemetry"),
            clientid: Some("c"),
            principal: None,
            timestamp_ms: Some(1_700_000_000_000),
            random: &mut random,
        },
    );
});
