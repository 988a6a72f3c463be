//! SL101 constant-partition-key: a Kinesis action whose key is the same for every record (a bare
//! word such as `vin`, or `${topic()}` under a filter without wildcards) sends the whole rule's
//! traffic to one shard. The seed incident of this project. Every other producer kind (EventBridge
//! pipes, API Gateway, Step Functions, application code) whose loader classified its key as a
//! constant is reported the same way, with help in that producer's own syntax.

use super::{Ctx, RuleMeta, describe_stream, key_example, related};
use crate::diagnostic::{Finding, RelatedSpan, Severity};
use crate::model::limits;
use crate::template::KeyClass;

pub static META: RuleMeta = RuleMeta {
    code: "SL101",
    name: "constant-partition-key",
    summary: "Kinesis partition key is the same for every record",
    severity: Severity::Error,
    group: super::Group::PartitionKey,
    doc: include_str!("../../rules/SL101.md"),
};

/// Unsafe fixes for a bare word: key by the field it names, or by `newuuid()`; only where the
/// literal holds exactly that word (not a value assembled elsewhere).
fn key_fixes(
    ctx: &Ctx,
    kind: crate::model::SourceKind,
    action: &crate::model::KinesisAction,
    written: &str,
) -> Vec<crate::diagnostic::Fix> {
    let Some((span, _)) = action.key_literal.filter(|_| kind.is_authored()) else {
        return Vec::new();
    };
    let now = ctx.db.text(span);
    if now.trim_matches(['"', '\'']) != written {
        return Vec::new();
    }
    let dialect = kind.dialect();
    [
        (
            format!("${{{written}}}"),
            format!("Key by the payload field `{written}`"),
        ),
        (
            "${newuuid()}".to_string(),
            "Spread records evenly with `newuuid()`".to_string(),
        ),
    ]
    .into_iter()
    .filter_map(|(template, title)| {
        let text = (dialect.key_literal)(&template, now)?;
        Some(crate::fix::replace(
            title,
            crate::diagnostic::Applicability::Unsafe,
            span,
            text,
        ))
    })
    .collect()
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    check_producers(ctx, out);
    for (ri, rule) in ctx.model.rules.iter().enumerate() {
        for (ai, action) in rule.actions.iter().enumerate() {
            let ka = &ctx.analysis.keys[ri][ai];
            let Some(KeyClass::Constant { value }) = &ka.class else {
                continue;
            };
            // On an AUTO stream Kinesis ignores the key (an over-long key is still rejected).
            let auto = ctx.auto_distribution(action.stream);
            let Some(span) = action.partition_key.span else {
                continue;
            };
            let written = action.partition_key.get().cloned().unwrap_or_default();
            let stream = describe_stream(ctx.model, action.stream);
            let has_template = written.contains("${");
            let too_long = value
                .as_deref()
                .map(|v| v.chars().count())
                .filter(|&n| n > limits::PARTITION_KEY_MAX);
            if let Some(n) = too_long {
                // Not one hot shard: Kinesis rejects every record.
                let mut f = ctx.finding(
                    &META,
                    span,
                    action.partition_key.path.clone(),
                    format!(
                        "partition key is a constant of {} characters: Kinesis accepts keys of {}..{} characters, so every record written to {stream} is rejected",
                        crate::numbers::thousands(n as u64),
                        limits::PARTITION_KEY_MIN,
                        limits::PARTITION_KEY_MAX
                    ),
                    format!("{} characters", crate::numbers::thousands(n as u64)),
                    format!(
                        "key by something short that varies per device, e.g. `{}`, or spread load evenly with `{}`",
                        key_example(rule.origin.kind, "${clientid()}"),
                        key_example(rule.origin.kind, "${newuuid()}")
                    ),
                );
                f.related = related(&action.partition_key.via);
                out.push(f);
                continue;
            }
            if auto {
                continue;
            }
            let message = if has_template {
                format!(
                    "partition key `{written}` is constant (`{}`): every record goes to one shard of {stream}",
                    value.as_deref().unwrap_or("?")
                )
            } else {
                format!(
                    "partition key `{written}` is a constant: every record goes to one shard of {stream}"
                )
            };
            // A bare identifier was almost always meant as a field reference (`vin` → `${vin}`).
            let looks_like_field = !written.is_empty()
                && written
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                && written
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            let help = if looks_like_field && !has_template {
                format!(
                    "to key by the payload field `{written}`, write it as a substitution template: `{}`; or spread load evenly with `{}`",
                    key_example(rule.origin.kind, &format!("${{{written}}}")),
                    key_example(rule.origin.kind, "${newuuid()}")
                )
            } else {
                format!(
                    "key by something that varies per device, e.g. `{}`, or spread load evenly with `{}`",
                    key_example(rule.origin.kind, "${clientid()}"),
                    key_example(rule.origin.kind, "${newuuid()}")
                )
            };
            // If no consumer needs per-key order, an on-demand stream can spread records itself.
            let help = format!(
                "{help}; or, if no consumer needs per-key order, make the stream on-demand with `RecordDistributionStrategy = AUTO` and Kinesis spreads records itself"
            );
            let mut f = ctx.finding(
                &META,
                span,
                action.partition_key.path.clone(),
                message,
                "the same key for every record",
                help,
            );
            f.related = related(&action.partition_key.via);
            if looks_like_field && !has_template {
                f.fixes = key_fixes(ctx, rule.origin.kind, action, &written);
            }
            // `${topic()}` is constant because of the FROM clause: show it.
            if has_template
                && let (Some(Some(sql)), Some(sql_span)) = (ctx.analysis.sql.get(ri), rule.sql.span)
                && let Some((filter, range)) = &sql.topic_filter
                && (rule.sql.escapes != crate::source::Escapes::Verbatim
                    || rule.sql.get().map(String::as_str) == Some(ctx.db.text(sql_span)))
            {
                f.related.push(RelatedSpan {
                    span: ctx.db.sub_span(sql_span, rule.sql.escapes, range.clone()),
                    path: rule.sql.path.clone(),
                    message: format!(
                        "the topic filter `{filter}` has no wildcard at the level the key uses"
                    ),
                });
            }
            out.push(f);
        }
    }
}

/// Producers other than IoT rules with a constant key.
fn check_producers(ctx: &Ctx, out: &mut Vec<Finding>) {
    for p in &ctx.model.producers {
        let crate::model::KeyExpr::Constant { value } = &p.class else {
            continue;
        };
        let Some(span) = p.key.span else {
            continue;
        };
        let stream = super::producer_stream(ctx.model, p);
        let n = value.chars().count();
        if !(limits::PARTITION_KEY_MIN..=limits::PARTITION_KEY_MAX).contains(&n) {
            out.push(ctx.finding(
                &META,
                span,
                p.key.path.clone(),
                format!(
                    "partition key is a constant of {}: Kinesis accepts keys of {}..{} characters, so every record the {} writes to {stream} is rejected",
                    crate::numbers::plural(n as u64, "character", "characters"),
                    limits::PARTITION_KEY_MIN,
                    limits::PARTITION_KEY_MAX,
                    p.label
                ),
                crate::numbers::plural(n as u64, "character", "characters"),
                format!(
                    "key by something short that varies per record, e.g. `{}`",
                    p.per_record_example
                ),
            ));
            continue;
        }
        if ctx.auto_distribution(p.stream) {
            continue;
        }
        let written = p.key.get().map(String::as_str).unwrap_or_default();
        let what = if written.trim_matches(['"', '\'', '`']) == value {
            format!("partition key `{value}` is a constant")
        } else {
            format!("partition key `{written}` is always `{value}`")
        };
        let mut f = ctx.finding(
            &META,
            span,
            p.key.path.clone(),
            format!(
                "{what}: every record the {} writes goes to one shard of {stream}",
                p.label
            ),
            "the same key for every record",
            format!(
                "key by something that varies per record, e.g. `{}`; or, if no consumer needs per-key order, make the stream on-demand with `RecordDistributionStrategy = AUTO` and Kinesis spreads records itself",
                p.per_record_example
            ),
        );
        f.related = related(&p.key.via);
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, iot_rule, says};

    const SQL: &str = "SELECT * FROM 'vehicles/location'";

    #[test]
    fn a_bare_word_key_is_constant() {
        let out = file("main.tf", &iot_rule(SQL, r#"partition_key = "vin""#)).run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL101");
        assert_eq!(out.text(f), "\"vin\"");
        assert_eq!(out.at(f), ("main.tf".into(), 14, 21));
        says(
            &f.message,
            &[
                "`vin` is a constant",
                "one shard of `location-stream` (8 shards)",
            ],
        );
        says(&f.help, &["partition_key = \"$${vin}\""]);
    }

    #[test]
    fn a_topic_without_wildcard_is_constant_and_the_filter_is_shown() {
        let out = file(
            "main.tf",
            &iot_rule(SQL, r#"partition_key = "$${topic()}""#),
        )
        .run(super::check);
        let f = out.only();
        assert_eq!(out.text(f), "\"$${topic()}\"");
        says(&f.message, &["is constant (`vehicles/location`)"]);
        assert_eq!(out.db.text(f.related[0].span), "vehicles/location");
    }

    #[test]
    fn a_constant_over_256_characters_is_rejected_not_hot() {
        let long = "k".repeat(300);
        let out = file(
            "main.tf",
            &iot_rule(SQL, &format!(r#"partition_key = "{long}""#)),
        )
        .run(super::check);
        says(
            &out.only().message,
            &["constant of 300 characters", "rejected"],
        );
    }

    #[test]
    fn a_per_record_field_is_quiet() {
        file("main.tf", &iot_rule(SQL, r#"partition_key = "$${vin}""#))
            .run(super::check)
            .quiet();
    }

    #[test]
    fn a_topic_level_under_a_wildcard_is_quiet() {
        file(
            "main.tf",
            &iot_rule(
                "SELECT * FROM 'vehicles/+/location'",
                r#"partition_key = "$${topic(2)}""#,
            ),
        )
        .run(super::check)
        .quiet();
    }

    #[test]
    fn a_constant_on_an_auto_stream_is_quiet() {
        file("main.tf", &iot_rule(SQL, r#"partition_key = "vin""#))
            .config("[streams.\"location-stream\"]\nrecord-distribution = \"auto\"\n")
            .run(super::check)
            .quiet();
    }
}
