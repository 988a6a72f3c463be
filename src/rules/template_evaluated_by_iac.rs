//! SL106 template-evaluated-by-iac: a `${...}` in a partition key that Terraform or
//! CloudFormation `!Sub` substitutes at deploy time instead of leaving it to IoT. `"${uuid()}"`
//! passes `terraform validate` but is fixed once per apply (a constant key); `"${topic(3)}"` is
//! rejected by Terraform; `!Sub "${vin}"` fails the deploy.

use super::{Ctx, RuleMeta};
use crate::diagnostic::{Finding, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "SL106",
    name: "template-evaluated-by-iac",
    summary: "The IaC tool evaluates the key's `${...}` before IoT sees it",
    severity: Severity::Error,
    group: super::Group::PartitionKey,
    doc: include_str!("../../rules/SL106.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for rule in &ctx.model.rules {
        for action in &rule.actions {
            for iac in &action.iac_interpolations {
                let expr = &iac.expr;
                let (message, label, help) =
                    (iac.tool.dialect().interpolation)(iac.effect, expr, &iac.escaped_form);
                let mut f = ctx.finding(
                    &META,
                    iac.span,
                    action.partition_key.path.clone(),
                    message,
                    label,
                    help,
                );
                // Escaping leaves the template to IoT, as its author evidently meant: safe; a
                // function IoT lacks swapped for its IoT counterpart (`uuid()`) is to review.
                let written = ctx.db.text(iac.span);
                if written.starts_with("${") && written.ends_with('}') {
                    let same = iac.escaped_form.contains(&format!("{{{expr}}}"));
                    f.fixes.push(crate::fix::replace(
                        format!("Escape as `{}`", iac.escaped_form),
                        if same {
                            crate::diagnostic::Applicability::Safe
                        } else {
                            crate::diagnostic::Applicability::Unsafe
                        },
                        iac.span,
                        iac.escaped_form.clone(),
                    ));
                }
                out.push(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, iot_rule, says};

    const SQL: &str = "SELECT * FROM 'vehicles/+/location'";

    #[test]
    fn an_unescaped_terraform_function_fires_with_a_fix() {
        let out =
            file("main.tf", &iot_rule(SQL, r#"partition_key = "${uuid()}""#)).run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL106");
        assert_eq!(out.text(f), "${uuid()}");
        says(
            &f.message,
            &["Terraform evaluates `${uuid()}` once per apply"],
        );
        says(&f.help, &["`$${newuuid()}`"]);
        assert_eq!(f.fixes.len(), 1);
    }

    #[test]
    fn an_escaped_template_is_quiet() {
        file(
            "main.tf",
            &iot_rule(SQL, r#"partition_key = "$${newuuid()}""#),
        )
        .run(super::check)
        .quiet();
    }
}
