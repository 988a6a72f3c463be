//! SL105 malformed-key-template: a partition key template IoT cannot evaluate (an unbalanced
//! `${`, an unknown function, a wrong number of arguments). Points at the exact column inside
//! the string.

use super::{Ctx, RuleMeta};
use crate::diagnostic::{Finding, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "SL105",
    name: "malformed-key-template",
    summary: "Partition key substitution template is malformed",
    severity: Severity::Error,
    group: super::Group::PartitionKey,
    doc: include_str!("../../rules/SL105.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (ri, rule) in ctx.model.rules.iter().enumerate() {
        for (ai, action) in rule.actions.iter().enumerate() {
            let Some(Err(err)) = &ctx.analysis.keys[ri][ai].parsed else {
                continue;
            };
            let Some(span) = action.partition_key.span else {
                continue;
            };
            let at = match action.key_literal {
                Some((lit, esc)) => ctx.db.sub_span(lit, esc, err.range.clone()),
                None => span,
            };
            let mut f = ctx.finding(
                &META,
                at,
                action.partition_key.path.clone(),
                format!("invalid partition key template: {}", err.message),
                "here",
                err.help.clone().unwrap_or_else(|| {
                    "fix the template; see the IoT substitution template reference".into()
                }),
            );
            f.related = super::related(&action.partition_key.via);
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, iot_rule, says};

    const SQL: &str = "SELECT * FROM 'vehicles/+/location'";

    #[test]
    fn an_unclosed_substitution_fires() {
        let out = file("main.tf", &iot_rule(SQL, r#"partition_key = "$${vin""#)).run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL105");
        assert_eq!(out.at(f).1, 14);
        assert!(out.text(f).starts_with("$${"), "{}", out.text(f));
        says(&f.message, &["invalid partition key template"]);
    }

    #[test]
    fn a_closed_substitution_is_quiet() {
        file("main.tf", &iot_rule(SQL, r#"partition_key = "$${vin}""#))
            .run(super::check)
            .quiet();
    }
}
