//! SL104 random-partition-key: `${newuuid()}` spreads records evenly over shards, but records of
//! one device no longer share a shard, so their order is lost. Informational. Other producers
//! with a written random key (an EventBridge path to the event id, `uuid4()` in code) too; a
//! target that leaves the key to the service (EventBridge's event id) is not reported.

use super::{Ctx, RuleMeta, key_example};
use crate::diagnostic::{Finding, Severity};
use crate::template::KeyClass;

pub static META: RuleMeta = RuleMeta {
    code: "SL104",
    name: "random-partition-key",
    summary: "Random partition key: even load, but no per-device ordering",
    severity: Severity::Info,
    group: super::Group::PartitionKey,
    doc: include_str!("../../rules/SL104.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for p in &ctx.model.producers {
        let crate::model::KeyExpr::Random { what } = &p.class else {
            continue;
        };
        let Some(span) = p.key.span else {
            continue;
        };
        if ctx.auto_distribution(p.stream) {
            continue;
        }
        out.push(ctx.finding(
            &META,
            span,
            p.key.path.clone(),
            format!("partition key is random ({what}): load spreads evenly, but records of one device land on different shards and lose their order"),
            "a new key for every record",
            format!(
                "if consumers need per-device order, key by the device instead, e.g. `{}`",
                p.per_record_example
            ),
        ));
    }
    for (ri, rule) in ctx.model.rules.iter().enumerate() {
        for (ai, action) in rule.actions.iter().enumerate() {
            let Some(KeyClass::Random { sources }) = &ctx.analysis.keys[ri][ai].class else {
                continue;
            };
            // On an AUTO stream no key keeps per-device order: keying by device would not help.
            if ctx.auto_distribution(action.stream) {
                continue;
            }
            let Some(span) = action.partition_key.span else {
                continue;
            };
            let what = sources.join("`, `");
            out.push(ctx.finding(
                &META,
                span,
                action.partition_key.path.clone(),
                format!("partition key is random (`{what}`): load spreads evenly, but records of one device land on different shards and lose their order"),
                "a new key for every record",
                format!(
                    "if consumers need per-device order, key by the device instead, e.g. `{}`",
                    key_example(rule.origin.kind, "${clientid()}")
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, iot_rule, says};

    const SQL: &str = "SELECT * FROM 'vehicles/+/location'";

    #[test]
    fn newuuid_is_random() {
        let out = file(
            "main.tf",
            &iot_rule(SQL, r#"partition_key = "$${newuuid()}""#),
        )
        .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL104");
        assert_eq!(out.text(f), "\"$${newuuid()}\"");
        says(&f.message, &["random (`newuuid()`)", "lose their order"]);
        says(&f.help, &["partition_key = \"$${clientid()}\""]);
    }

    #[test]
    fn a_per_device_key_is_quiet() {
        file(
            "main.tf",
            &iot_rule(SQL, r#"partition_key = "$${topic(2)}""#),
        )
        .run(super::check)
        .quiet();
    }

    #[test]
    fn random_on_an_auto_stream_is_quiet() {
        file(
            "main.tf",
            &iot_rule(SQL, r#"partition_key = "$${newuuid()}""#),
        )
        .config("[streams.\"location-stream\"]\nrecord-distribution = \"auto\"\n")
        .run(super::check)
        .quiet();
    }
}
