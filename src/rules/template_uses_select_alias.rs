//! SL102 template-uses-select-alias: a key template that references a `SELECT ... AS name` alias.
//! Substitution templates are evaluated on the original payload, not on the SELECT result, so the
//! alias is Undefined and the key is empty.

use super::{Ctx, RuleMeta};
use crate::diagnostic::{Finding, RelatedSpan, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "SL102",
    name: "template-uses-select-alias",
    summary: "Partition key template references a SELECT alias, which templates cannot see",
    severity: Severity::Error,
    group: super::Group::PartitionKey,
    doc: include_str!("../../rules/SL102.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (ri, rule) in ctx.model.rules.iter().enumerate() {
        let Some(Some(sql)) = ctx.analysis.sql.get(ri) else {
            continue;
        };
        if sql.aliases.is_empty() {
            continue;
        }
        for (ai, action) in rule.actions.iter().enumerate() {
            let Some(Ok(t)) = &ctx.analysis.keys[ri][ai].parsed else {
                continue;
            };
            let Some(span) = action.partition_key.span else {
                continue;
            };
            for (path, range) in crate::template::fields(t) {
                let Some(first) = path.first() else { continue };
                let Some((alias, alias_range)) = sql.aliases.iter().find(|(a, _)| a == first)
                else {
                    continue;
                };
                let at = match action.key_literal {
                    Some((lit, esc)) => ctx.db.sub_span(lit, esc, range.clone()),
                    None => span,
                };
                let mut f = ctx.finding(
                    &META,
                    at,
                    action.partition_key.path.clone(),
                    format!("partition key references `{alias}`, an alias from the rule's SELECT; templates see only the original payload"),
                    "an alias, Undefined here",
                    format!("reference the original payload field that `{alias}` is selected from, e.g. the expression before `AS {alias}`"),
                );
                if let Some(sql_span) = rule.sql.span
                    && (rule.sql.escapes != crate::source::Escapes::Verbatim
                        || rule.sql.get().map(String::as_str) == Some(ctx.db.text(sql_span)))
                {
                    f.related.push(RelatedSpan {
                        span: ctx
                            .db
                            .sub_span(sql_span, rule.sql.escapes, alias_range.clone()),
                        path: rule.sql.path.clone(),
                        message: format!("`{alias}` is defined here, in the SELECT"),
                    });
                }
                out.push(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, iot_rule, says};

    const SQL: &str = "SELECT state.reported.vin AS vehicle FROM 'fleet/+/state'";

    #[test]
    fn a_key_naming_a_select_alias_fires_at_the_alias() {
        let out = file(
            "main.tf",
            &iot_rule(SQL, r#"partition_key = "$${vehicle}""#),
        )
        .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL102");
        assert_eq!(out.text(f), "vehicle");
        assert_eq!(out.at(f).1, 14);
        says(&f.message, &["references `vehicle`", "alias"]);
        says(&f.help, &["before `AS vehicle`"]);
        assert_eq!(out.db.text(f.related[0].span), "vehicle");
        // The alias where the SELECT defines it, on the rule's `sql` line.
        assert_eq!(out.db.start(f.related[0].span).line, 9);
    }

    #[test]
    fn the_original_field_is_quiet() {
        file(
            "main.tf",
            &iot_rule(SQL, r#"partition_key = "$${state.reported.vin}""#),
        )
        .run(super::check)
        .quiet();
    }
}
