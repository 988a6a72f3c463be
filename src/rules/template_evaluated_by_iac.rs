//! SL106 template-evaluated-by-iac: a `${...}` in a partition key that Terraform or
//! CloudFormation `!Sub` substitutes at deploy time instead of leaving it to IoT. `"${uuid()}"`
//! passes `terraform validate` but is fixed once per apply (a constant key); `"${topic(3)}"` is
//! rejected by Terraform; `!Sub "${vin}"` fails the deploy.

use super::{Ctx, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::model::{IacEffect, IacTool};

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
                let (message, label) = match (iac.tool, iac.effect) {
                    (IacTool::Terraform, IacEffect::FixedPerDeploy) => (
                        format!(
                            "Terraform evaluates `${{{expr}}}` once per apply, so every record gets the same partition key"
                        ),
                        "Terraform's function, not IoT's",
                    ),
                    (IacTool::Terraform, _) => (
                        format!(
                            "Terraform tries to evaluate `${{{expr}}}` itself and rejects it; IoT never sees the template"
                        ),
                        "a Terraform interpolation",
                    ),
                    (IacTool::CloudFormationSub, IacEffect::Substituted) => (
                        format!(
                            "`!Sub` replaces `${{{expr}}}` at deploy time, so the key is the same for every record"
                        ),
                        "substituted by CloudFormation",
                    ),
                    (IacTool::CloudFormationSub, _) => (
                        format!(
                            "`!Sub` tries to substitute `${{{expr}}}`: there is no parameter or resource of that name, so the deploy fails"
                        ),
                        "substituted by CloudFormation",
                    ),
                };
                let help = match iac.tool {
                    IacTool::Terraform => format!(
                        "escape it so IoT evaluates it per record: `{}`",
                        iac.escaped_form
                    ),
                    IacTool::CloudFormationSub => format!(
                        "escape it as `{}` inside `!Sub`, or drop `!Sub` and write the template as a plain string",
                        iac.escaped_form
                    ),
                };
                out.push(ctx.finding(
                    &META,
                    iac.span,
                    action.partition_key.path.clone(),
                    message,
                    label,
                    help,
                ));
            }
        }
    }
}
