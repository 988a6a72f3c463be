//! SL404 undefined-partition-key: on sampled payloads the key template evaluates to Undefined or
//! an empty string (a field that is not where the template looks, e.g. `${vin}` when `vin` sits in
//! an array). Kinesis rejects an empty key, so those records never reach the stream.

use super::{Ctx, RuleMeta, key_example};
use crate::diagnostic::{Finding, Severity};
use crate::numbers::{pct, thousands};
use crate::template;

pub static META: RuleMeta = RuleMeta {
    code: "SL404",
    name: "undefined-partition-key",
    summary: "The key template is Undefined or empty on sampled payloads",
    severity: Severity::Error,
    group: super::Group::Samples,
    doc: include_str!("../../rules/SL404.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for s in ctx.samples {
        let u = &s.report.undefined_keys;
        if u.count == 0 {
            continue;
        }
        // IoT templates only: a producer's JSONPath has no IoT Undefined semantics.
        if s.producer.is_some() {
            continue;
        }
        let rule = &ctx.model.rules[s.rule];
        let action = &rule.actions[s.action];
        let Some(span) = action.partition_key.span else {
            continue;
        };
        let key = action.partition_key.get().cloned().unwrap_or_default();
        let example = u.example.as_ref();
        let why = example
            .map(|e| {
                format!(
                    " ({} {} {}: {})",
                    e.at.input, e.at.unit, e.at.number, e.reason
                )
            })
            .unwrap_or_default();
        let help = suggestion(&key, example.map(|e| e.record.as_str()))
            .map(|t| format!("reach the field where the payload has it: `{}`", key_example(rule.origin.kind, &t)))
            .unwrap_or_else(|| "make the template reference fields present in every payload; check the samples' shape".into());
        out.push(ctx.finding(
            &META,
            span,
            action.partition_key.path.clone(),
            format!(
                "partition key `{key}` is Undefined on `{}` of `{}` {} records{why}; IoT cannot put them on the stream",
                pct(u.share),
                thousands(s.report.input.records),
                super::sampled(&s.report)
            ),
            "Undefined on the samples",
            help,
        ));
    }
}

/// A template reaching the first field of `key` in the example record (its `payload` when it is
/// an envelope), per IoT SQL (`get()` into arrays).
fn suggestion(key: &str, record: Option<&str>) -> Option<String> {
    let t = template::parse(key).ok()?;
    let (path, _) = template::fields(&t).into_iter().next()?;
    let field = path.last()?;
    let v: serde_json::Value = serde_json::from_str(record?).ok()?;
    let payload = v.get("payload").filter(|p| p.is_object()).unwrap_or(&v);
    template::suggest_paths(payload, field).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{envelopes, file, pipeline, says};

    #[test]
    fn a_field_absent_from_the_payloads_fires_at_the_key() {
        // The payloads carry `device`, not `vin`.
        let out = file("main.tf", &pipeline(4, "$${vin}", ""))
            .samples(&envelopes(&[("a", 5), ("b", 5)], 1000), None)
            .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL404");
        assert_eq!(out.text(f), "\"$${vin}\"");
        says(
            &f.message,
            &["`${vin}` is Undefined on `100.0%` of `10` sampled records"],
        );
    }

    #[test]
    fn a_nested_field_gets_a_path_to_it() {
        let samples = "{\"topic\": \"fleet/a/telemetry\", \"timestamp\": 1600000000000, \"payload\": {\"list\": [{\"vin\": \"V1\"}]}}\n";
        let out = file("main.tf", &pipeline(4, "$${vin}", ""))
            .samples(samples, None)
            .run(super::check);
        says(&out.only().help, &["get(get(list, 0), 'vin')"]);
    }

    #[test]
    fn a_field_every_payload_has_is_quiet() {
        file("main.tf", &pipeline(4, "$${device}", ""))
            .samples(&envelopes(&[("a", 5), ("b", 5)], 1000), None)
            .run(super::check)
            .quiet();
    }
}
