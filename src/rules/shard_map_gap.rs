//! SL204 shard-map-gap: the open shards of an exported shard map do not tile `[0, 2^128-1]`
//! exactly (a gap, an overlap or an inverted range). Keys in a gap have no shard; shardlint cannot
//! map samples onto such a map. Often a partial `list-shards` page.

use super::{Ctx, RuleMeta};
use crate::analysis::MapSource;
use crate::diagnostic::{Finding, Severity};
use crate::keyspace::MapProblem;

pub static META: RuleMeta = RuleMeta {
    code: "SL204",
    name: "shard-map-gap",
    summary: "Open shards do not cover the hash space exactly once",
    severity: Severity::Error,
    group: super::Group::Stream,
    doc: include_str!("../../rules/SL204.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (si, s) in ctx.model.streams.iter().enumerate() {
        let MapSource::Export(Err(problems)) = &ctx.analysis.shard_maps[si] else {
            continue;
        };
        let span = s.shards_span.unwrap_or(s.origin.span);
        for p in problems {
            // Point at the hash key next to the problem when the list shows it.
            let at = match p {
                MapProblem::Gap { from, to } => {
                    let after = super::narrow(ctx.db, span, &format!("\"{}\"", to.wrapping_add(1)));
                    if after != span {
                        after
                    } else {
                        super::narrow(ctx.db, span, &format!("\"{}\"", from.wrapping_sub(1)))
                    }
                }
                MapProblem::Overlap { from, .. } => {
                    super::narrow(ctx.db, span, &format!("\"{from}\""))
                }
                MapProblem::Inverted { shard } => {
                    super::narrow(ctx.db, span, &format!("\"{shard}\""))
                }
                MapProblem::DuplicateId { shard } => {
                    // The second occurrence is the duplicate.
                    let needle = format!("\"{shard}\"");
                    let text = ctx.db.text(span);
                    match text.find(&needle).and_then(|i| {
                        let j = i + needle.len();
                        text[j..].find(&needle).map(|k| j + k)
                    }) {
                        Some(k) => crate::source::Span::new(
                            span.file,
                            span.start + k,
                            span.start + k + needle.len(),
                        ),
                        None => super::narrow(ctx.db, span, &needle),
                    }
                }
                MapProblem::NoOpenShards => span,
            };
            out.push(ctx.finding(
                &META,
                at,
                format!("{}.shards", s.origin.address),
                format!("shard map of `{}`: {p}", s.display_name()),
                "next to the problem",
                "export every page of the shard list (`aws kinesis list-shards` follows `NextToken`; do not pass `--exclusive-start-shard-id`) and check for a reshard in progress".into(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, list_shards, says};

    const HALF: &str = "170141183460469231731687303715884105727";
    const END: &str = "340282366920938463463374607431768211455";

    #[test]
    fn a_missing_range_fires_next_to_it() {
        // The second shard starts one key late: key HALF+1 has no shard.
        let map = list_shards(&[
            ("shardId-000000000000", "0", HALF),
            (
                "shardId-000000000001",
                "170141183460469231731687303715884105729",
                END,
            ),
        ]);
        let out = file("gap.list-shards.json", &map).run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL204");
        assert_eq!(out.text(f), "\"170141183460469231731687303715884105729\"");
        says(
            &f.message,
            &[
                "shard map of `gap`",
                "170141183460469231731687303715884105728",
            ],
        );
        says(&f.help, &["NextToken"]);
    }

    #[test]
    fn a_complete_map_is_quiet() {
        let map = list_shards(&[
            ("shardId-000000000000", "0", HALF),
            (
                "shardId-000000000001",
                "170141183460469231731687303715884105728",
                END,
            ),
        ]);
        file("whole.list-shards.json", &map)
            .run(super::check)
            .quiet();
    }
}
