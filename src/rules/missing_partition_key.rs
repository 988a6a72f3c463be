//! SL103 missing-partition-key: a Kinesis action without a partition key, or with an empty one
//! (the Terraform provider drops `partition_key = ""` like a missing value, and Kinesis rejects
//! an empty key). AWS documents no default for IoT's Kinesis action, so the distribution of
//! records over shards is unknown.

use super::{Ctx, RuleMeta, key_example};
use crate::diagnostic::{Finding, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "SL103",
    name: "missing-partition-key",
    summary: "Kinesis action has no partition key; IoT's default is undocumented",
    severity: Severity::Warning,
    group: super::Group::PartitionKey,
    doc: include_str!("../../rules/SL103.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for rule in &ctx.model.rules {
        for action in &rule.actions {
            let empty = action.partition_key.get().is_some_and(|k| k.is_empty());
            if !action.partition_key.is_absent() && !empty {
                continue;
            }
            let name = rule.origin.kind.dialect().key_param;
            let stream = super::describe_stream(ctx.model, action.stream);
            let (span, message, label) = if empty {
                (
                    action.partition_key.span.unwrap_or(action.span),
                    format!(
                        "Kinesis action to {stream} has an empty `{name}`: it is dropped like a missing key (Kinesis accepts keys of 1..256 characters), and AWS documents no default for it"
                    ),
                    "empty partition key",
                )
            } else {
                (
                    action.span,
                    format!(
                        "Kinesis action to {stream} has no `{name}`; AWS documents no default for it"
                    ),
                    "no partition key",
                )
            };
            out.push(ctx.finding(
                &META,
                span,
                action.partition_key.path.clone(),
                message,
                label,
                format!(
                    "set the key explicitly: `{}` keeps per-device order, `{}` spreads load evenly",
                    key_example(rule.origin.kind, "${clientid()}"),
                    key_example(rule.origin.kind, "${newuuid()}")
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
    fn an_action_without_key_fires_at_the_action() {
        let out = file("main.tf", &iot_rule(SQL, "")).run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL103");
        assert!(out.text(f).starts_with("kinesis {"), "{}", out.text(f));
        says(
            &f.message,
            &[
                "`location-stream` (8 shards) has no `partition_key`",
                "no default",
            ],
        );
        says(&f.help, &["partition_key = \"$${clientid()}\""]);
    }

    #[test]
    fn an_empty_key_fires_at_the_key() {
        let out = file("main.tf", &iot_rule(SQL, r#"partition_key = """#)).run(super::check);
        let f = out.only();
        assert_eq!(out.text(f), "\"\"");
        says(&f.message, &["empty `partition_key`"]);
    }

    #[test]
    fn a_set_key_is_quiet() {
        file(
            "main.tf",
            &iot_rule(SQL, r#"partition_key = "$${topic(2)}""#),
        )
        .run(super::check)
        .quiet();
    }
}
