//! The rule registry: every rule's metadata (code, kebab name, summary, default severity, doc)
//! and its check function, sorted by code. Rules read the model and the analyses in [`Ctx`] and
//! push findings; they never format output.

mod constant_partition_key;
mod consumer_falls_behind;
mod contradictory_stream_mode;
mod hot_key;
mod hot_shard;
mod input_parse_error;
pub mod invalid_suppression;
mod iterator_age_growing;
mod keyspace_skew;
mod low_cardinality_partition_key;
mod malformed_key_template;
mod mapping_value_out_of_range;
mod missing_partition_key;
mod observed_hot_shard;
mod observed_write_throttling;
mod order_lost_on_auto_distribution;
mod parallelization_cannot_help;
mod random_partition_key;
mod retries_without_destination;
mod shard_map_gap;
mod stream_under_provisioned;
mod template_evaluated_by_iac;
mod template_uses_select_alias;
mod too_many_standard_consumers;
mod unbounded_retry_without_destination;
mod undefined_partition_key;
mod unknown_shard_count;
mod unresolved_stream_reference;
pub mod unused_suppression;

use crate::analysis::Analysis;
use crate::config::Config;
use crate::diagnostic::{Finding, RelatedSpan};
use crate::model::{Model, Related, SourceKind};
use crate::source::{SourceDb, Span};

pub use crate::diagnostic::{Group, RuleMeta};

pub type CheckFn = fn(&Ctx, &mut Vec<Finding>);

pub struct Rule {
    pub meta: &'static RuleMeta,
    /// `None` for rules whose findings other stages produce (input errors, sample-driven).
    pub check: Option<CheckFn>,
}

/// Every rule, sorted by code.
pub static RULES: &[Rule] = &[
    Rule {
        meta: &input_parse_error::META,
        check: None,
    },
    Rule {
        meta: &unresolved_stream_reference::META,
        check: Some(unresolved_stream_reference::check),
    },
    Rule {
        meta: &unused_suppression::META,
        check: None,
    },
    Rule {
        meta: &invalid_suppression::META,
        check: None,
    },
    Rule {
        meta: &unknown_shard_count::META,
        check: Some(unknown_shard_count::check),
    },
    Rule {
        meta: &constant_partition_key::META,
        check: Some(constant_partition_key::check),
    },
    Rule {
        meta: &template_uses_select_alias::META,
        check: Some(template_uses_select_alias::check),
    },
    Rule {
        meta: &missing_partition_key::META,
        check: Some(missing_partition_key::check),
    },
    Rule {
        meta: &random_partition_key::META,
        check: Some(random_partition_key::check),
    },
    Rule {
        meta: &malformed_key_template::META,
        check: Some(malformed_key_template::check),
    },
    Rule {
        meta: &template_evaluated_by_iac::META,
        check: Some(template_evaluated_by_iac::check),
    },
    Rule {
        meta: &low_cardinality_partition_key::META,
        check: Some(low_cardinality_partition_key::check),
    },
    Rule {
        meta: &contradictory_stream_mode::META,
        check: Some(contradictory_stream_mode::check),
    },
    Rule {
        meta: &too_many_standard_consumers::META,
        check: Some(too_many_standard_consumers::check),
    },
    Rule {
        meta: &keyspace_skew::META,
        check: Some(keyspace_skew::check),
    },
    Rule {
        meta: &shard_map_gap::META,
        check: Some(shard_map_gap::check),
    },
    Rule {
        meta: &stream_under_provisioned::META,
        check: Some(stream_under_provisioned::check),
    },
    Rule {
        meta: &mapping_value_out_of_range::META,
        check: Some(mapping_value_out_of_range::check),
    },
    Rule {
        meta: &unbounded_retry_without_destination::META,
        check: Some(unbounded_retry_without_destination::check),
    },
    Rule {
        meta: &retries_without_destination::META,
        check: Some(retries_without_destination::check),
    },
    Rule {
        meta: &order_lost_on_auto_distribution::META,
        check: Some(order_lost_on_auto_distribution::check),
    },
    Rule {
        meta: &hot_shard::META,
        check: Some(hot_shard::check),
    },
    Rule {
        meta: &hot_key::META,
        check: Some(hot_key::check),
    },
    Rule {
        meta: &parallelization_cannot_help::META,
        check: Some(parallelization_cannot_help::check),
    },
    Rule {
        meta: &undefined_partition_key::META,
        check: Some(undefined_partition_key::check),
    },
    Rule {
        meta: &consumer_falls_behind::META,
        check: Some(consumer_falls_behind::check),
    },
    Rule {
        meta: &observed_write_throttling::META,
        check: Some(observed_write_throttling::check),
    },
    Rule {
        meta: &observed_hot_shard::META,
        check: Some(observed_hot_shard::check),
    },
    Rule {
        meta: &iterator_age_growing::META,
        check: Some(iterator_age_growing::check),
    },
];

/// Finds a rule by code (`SL101`) or name (`constant-partition-key`), case-insensitively.
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.meta.code.eq_ignore_ascii_case(code_or_name) || r.meta.name == code_or_name)
}

/// What a rule may read.
pub struct Ctx<'a> {
    pub db: &'a SourceDb,
    pub model: &'a Model,
    pub analysis: &'a Analysis,
    pub config: &'a Config,
    /// Sample-driven distributions (`check --samples`); empty without samples.
    pub samples: &'a [crate::samples::ActionSamples],
    /// The consumer's per-record time (`--record-time`), for the falls-behind check.
    pub record_time: Option<&'a crate::simulate::RecordTime>,
    /// The config file in `db`, when one was read (for related locations pointing into it).
    pub config_file: Option<crate::source::FileId>,
}

impl Ctx<'_> {
    /// The stream spreads records itself (`RecordDistributionStrategy = AUTO`, from its
    /// configuration or `[streams."name"] record-distribution` in `shardlint.toml`): partition
    /// keys do not pick shards, so no key makes a shard hot.
    pub fn auto_distribution(&self, stream: Option<usize>) -> bool {
        let Some(s) = stream.and_then(|i| self.model.streams.get(i)) else {
            return false;
        };
        self.config
            .auto_distribution(&s.display_name(), s.is_auto_distribution())
    }

    /// A finding at `span` with the rule's default severity.
    pub fn finding(
        &self,
        meta: &'static RuleMeta,
        span: Span,
        path: impl Into<String>,
        message: String,
        label: impl Into<String>,
        help: String,
    ) -> Finding {
        Finding {
            meta,
            severity: meta.severity,
            message,
            help,
            span,
            label: label.into(),
            path: path.into(),
            related: Vec::new(),
            fixes: Vec::new(),
        }
    }
}

pub fn related(r: &[Related]) -> Vec<RelatedSpan> {
    r.iter()
        .map(|r| RelatedSpan {
            span: r.span,
            path: r.path.clone(),
            message: r.message.clone(),
        })
        .collect()
}

/// The name of a mapping parameter as the user wrote it, in the dialect of its source.
pub fn param_name(kind: SourceKind, api: &str) -> String {
    (kind.dialect().param)(api)
}

/// Runs every selected rule.
pub fn run(ctx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in RULES {
        if let Some(check) = rule.check
            && ctx.config.rule_enabled(rule.meta)
        {
            check(ctx, &mut out);
        }
    }
    out
}

/// "`location-stream` (8 shards)" / "on-demand stream `x`" / "the target stream".
pub fn describe_stream(model: &Model, stream: Option<usize>) -> String {
    let Some(s) = stream.and_then(|i| model.streams.get(i)) else {
        return "the target stream".into();
    };
    let name = s.display_name();
    match (s.effective_mode(), s.open_shard_count()) {
        (Some(crate::model::StreamMode::OnDemand), _) => format!("on-demand stream `{name}`"),
        (_, Some(1)) => format!("`{name}` (1 shard)"),
        (_, Some(n)) => format!("`{name}` ({n} shards)"),
        _ => format!("`{name}`"),
    }
}

/// The stream a producer writes to, for messages: linked (with its shards), else the name or ARN
/// as written, else "the target stream".
pub fn producer_stream(model: &Model, p: &crate::model::Producer) -> String {
    if p.stream.is_some() {
        return describe_stream(model, p.stream);
    }
    match p.stream_name.get() {
        Some(name) => format!("`{name}`"),
        None => "the target stream".into(),
    }
}

/// How to write an IoT template as a partition key in the user's format.
pub fn key_example(kind: SourceKind, template: &str) -> String {
    (kind.dialect().key_example)(template)
}

/// What a sample-driven message calls the records it counted: sampled ones, or under
/// `--aggregates` the archive's a `shardlint sql` result counted (all of them, no sample).
pub fn sampled(r: &crate::distribution::DistributionReport) -> &'static str {
    if r.aggregates.is_some() {
        "archived"
    } else {
        "sampled"
    }
}

/// Where a sample-driven finding points: the producer's key (or the producer when the service
/// picks the key), else the IoT action's key, else the action.
pub fn sample_key_span(model: &Model, s: &crate::samples::ActionSamples) -> (Span, String) {
    if let Some(p) = s.producer.and_then(|i| model.producers.get(i)) {
        return (p.key.span.unwrap_or(p.origin.span), p.key.path.clone());
    }
    key_span(model, s.rule, s.action)
}

/// Where a sample-driven finding about a Kinesis action points: its key, else the action.
pub fn key_span(model: &Model, rule: usize, action: usize) -> (Span, String) {
    let a = &model.rules[rule].actions[action];
    (
        a.partition_key.span.unwrap_or(a.span),
        a.partition_key.path.clone(),
    )
}

/// What the configuration predicts for a stream: a producer's constant key, and the open shard
/// it hashes to.
pub struct ConstantKeyPrediction {
    pub value: String,
    pub shard_id: String,
    pub key_span: Span,
    pub key_path: String,
}

/// The first constant-key Kinesis action writing to stream `si` whose shard is known (not on an
/// AUTO stream, where keys do not pick shards).
pub fn predicted_constant(ctx: &Ctx, si: usize) -> Option<ConstantKeyPrediction> {
    if ctx.auto_distribution(Some(si)) {
        return None;
    }
    let map = ctx.analysis.shard_maps.get(si)?.map()?;
    for (ri, rule) in ctx.model.rules.iter().enumerate() {
        for (ai, action) in rule.actions.iter().enumerate() {
            if action.stream != Some(si) {
                continue;
            }
            let Some(crate::template::KeyClass::Constant { value: Some(value) }) =
                &ctx.analysis.keys[ri][ai].class
            else {
                continue;
            };
            let (key_span, key_path) = key_span(ctx.model, ri, ai);
            return Some(ConstantKeyPrediction {
                value: value.clone(),
                shard_id: map.shard_for_key(value).shard_id.to_string(),
                key_span,
                key_path,
            });
        }
    }
    // EventBridge targets, Pipes and the other producers with a constant key.
    ctx.model.producers.iter().find_map(|p| {
        let crate::model::producer::KeyExpr::Constant { value } = &p.class else {
            return None;
        };
        (p.stream == Some(si)).then(|| ConstantKeyPrediction {
            value: value.clone(),
            shard_id: map.shard_for_key(value).shard_id.to_string(),
            key_span: p.key.span.unwrap_or(p.origin.span),
            key_path: p.key.path.clone(),
        })
    })
}

pub use crate::numbers::{pct, plural, thousands};

/// The first occurrence of `needle` inside `span` (e.g. one hash key in a shard list), or `span`.
pub fn narrow(db: &SourceDb, span: Span, needle: &str) -> Span {
    match db.text(span).find(needle) {
        Some(i) => Span::new(span.file, span.start + i, span.start + i + needle.len()),
        None => span,
    }
}

/// Test-only set-up shared by the rules' unit tests: a few small input files, in any format
/// shardlint reads, go through the real load → link → analyse steps (so spans point at real
/// text), then one rule's check runs alone on the result.
#[cfg(test)]
pub(crate) mod testkit {
    use super::*;

    /// The input of one rule test.
    #[derive(Default)]
    pub struct Case {
        files: Vec<(&'static str, String)>,
        config: Option<String>,
        samples: Option<String>,
        rule: Option<String>,
        record_time: Option<&'static str>,
    }

    /// A case with one input file named `name` (its extension picks the loader).
    pub fn file(name: &'static str, text: &str) -> Case {
        Case::default().file(name, text)
    }

    impl Case {
        pub fn file(mut self, name: &'static str, text: &str) -> Case {
            self.files.push((name, text.to_string()));
            self
        }
        /// `shardlint.toml` for the run.
        pub fn config(mut self, toml: &str) -> Case {
            self.config = Some(toml.to_string());
            self
        }
        /// Sampled records (`check --samples`), routed to IoT rule `rule` when given.
        pub fn samples(mut self, jsonl: &str, rule: Option<&str>) -> Case {
            self.samples = Some(jsonl.to_string());
            self.rule = rule.map(str::to_string);
            self
        }
        pub fn record_time(mut self, t: &'static str) -> Case {
            self.record_time = Some(t);
            self
        }

        /// Loads the files and runs `check` on them alone. Input errors fail the test: a rule
        /// test must not pass because its input was not read.
        pub fn run(self, check: CheckFn) -> Outcome {
            let dir = tempfile::tempdir().expect("temp dir");
            for (name, text) in &self.files {
                let path = dir.path().join(name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).expect("create dir");
                }
                std::fs::write(path, text).expect("write input");
            }
            let project = crate::project::open(
                &[dir.path().to_path_buf()],
                &crate::load::LoadOptions::default(),
            );
            let crate::load::Loaded {
                mut db,
                model,
                errors,
                ..
            } = project.loaded;
            assert!(errors.is_empty(), "input errors: {errors:#?}");
            let (config, config_file) = match &self.config {
                Some(text) => {
                    let path = dir.path().join("shardlint.toml");
                    let config = crate::config_file::parse(&path, text).expect("config parses");
                    (config, Some(db.add(path, text.clone())))
                }
                None => (Config::default(), None),
            };
            let record_time = self
                .record_time
                .map(|t| crate::simulate::model::parse_record_time(t).expect("record time"));
            let mut sampled = Vec::new();
            if let Some(jsonl) = &self.samples {
                let path = dir.path().join("samples.jsonl");
                std::fs::write(&path, jsonl).expect("write samples");
                let opts = crate::samples::SampleOptions {
                    files: vec![path],
                    rule: self.rule.clone(),
                    record_time,
                    ..Default::default()
                };
                let (s, errors) =
                    crate::samples::analyse(&model, &project.analysis, &config, &opts);
                assert!(errors.is_empty(), "sample errors: {errors:#?}");
                sampled = s;
            }
            let ctx = Ctx {
                db: &db,
                model: &model,
                analysis: &project.analysis,
                config: &config,
                samples: &sampled,
                record_time: record_time.as_ref(),
                config_file,
            };
            let mut findings = Vec::new();
            check(&ctx, &mut findings);
            Outcome {
                _dir: dir,
                db,
                findings,
            }
        }
    }

    /// What one rule found.
    pub struct Outcome {
        _dir: tempfile::TempDir,
        pub db: SourceDb,
        pub findings: Vec<Finding>,
    }

    impl Outcome {
        /// The one finding, failing the test when there are none or several.
        pub fn only(&self) -> &Finding {
            assert_eq!(
                self.findings.len(),
                1,
                "expected one finding, got: {:#?}",
                self.messages()
            );
            &self.findings[0]
        }

        /// Asserts that the rule stayed quiet.
        pub fn quiet(&self) {
            assert!(
                self.findings.is_empty(),
                "expected no finding, got: {:#?}",
                self.messages()
            );
        }

        /// The source text a finding points at.
        pub fn text(&self, f: &Finding) -> &str {
            self.db.text(f.span)
        }

        /// The 1-based line and column where a finding starts, and its file's name.
        pub fn at(&self, f: &Finding) -> (String, usize, usize) {
            let lc = self.db.start(f.span);
            let name = self
                .db
                .get(f.span.file)
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, lc.line, lc.column)
        }

        fn messages(&self) -> Vec<String> {
            self.findings
                .iter()
                .map(|f| format!("{} at `{}`: {}", f.meta.code, self.text(f), f.message))
                .collect()
        }
    }

    /// Terraform: `location-stream` (8 shards) and an IoT rule on `sql` whose Kinesis action
    /// writes to it, with `kinesis` as the action's last line (line 14), e.g.
    /// `partition_key = "$${vin}"`.
    pub fn iot_rule(sql: &str, kinesis: &str) -> String {
        format!(
            r#"resource "aws_kinesis_stream" "location" {{
  name        = "location-stream"
  shard_count = 8
}}

resource "aws_iot_topic_rule" "location" {{
  name        = "location_to_kinesis"
  enabled     = true
  sql         = "{sql}"
  sql_version = "2016-03-23"
  kinesis {{
    stream_name = aws_kinesis_stream.location.name
    role_arn    = "arn:aws:iam::123456789012:role/iot"
    {kinesis}
  }}
}}
"#
        )
    }

    /// `aws kinesis list-shards` output with open shards `(id, starting, ending hash key)`.
    pub fn list_shards(shards: &[(&str, &str, &str)]) -> String {
        let shards: Vec<String> = shards
            .iter()
            .map(|(id, from, to)| {
                format!(
                    "    {{\n      \"ShardId\": \"{id}\",\n      \"HashKeyRange\": {{ \"StartingHashKey\": \"{from}\", \"EndingHashKey\": \"{to}\" }},\n      \"SequenceNumberRange\": {{ \"StartingSequenceNumber\": \"1\" }}\n    }}"
                )
            })
            .collect();
        format!("{{\n  \"Shards\": [\n{}\n  ]\n}}\n", shards.join(",\n"))
    }

    /// Terraform: stream `telemetry` of `shards` shards, IoT rule `telemetry` on
    /// `fleet/+/telemetry` keyed by `key` (line 14), and a bounded, DLQ'd mapping consuming the
    /// stream with `mapping` as extra lines (e.g. `parallelization_factor = 10`).
    pub fn pipeline(shards: u32, key: &str, mapping: &str) -> String {
        format!(
            r#"resource "aws_kinesis_stream" "s" {{
  name        = "telemetry"
  shard_count = {shards}
}}

resource "aws_iot_topic_rule" "r" {{
  name        = "telemetry"
  enabled     = true
  sql         = "SELECT * FROM 'fleet/+/telemetry'"
  sql_version = "2016-03-23"
  kinesis {{
    stream_name   = aws_kinesis_stream.s.name
    role_arn      = "arn:aws:iam::123456789012:role/iot"
    partition_key = "{key}"
  }}
}}

resource "aws_lambda_event_source_mapping" "m" {{
  event_source_arn               = aws_kinesis_stream.s.arn
  function_name                  = "consumer"
  starting_position              = "TRIM_HORIZON"
  maximum_retry_attempts         = 3
  bisect_batch_on_function_error = true
  {mapping}
  destination_config {{
    on_failure {{
      destination_arn = "arn:aws:sqs:us-east-1:123456789012:dlq"
    }}
  }}
}}
"#
        )
    }

    /// MQTT envelopes on `fleet/<device>/telemetry`, one per `(device, count)` record, in turn
    /// (round-robin over the devices that still have records), `step_ms` apart.
    pub fn envelopes(devices: &[(&str, usize)], step_ms: u64) -> String {
        let mut left: Vec<(&str, usize)> = devices.to_vec();
        let mut out = String::new();
        let mut t = 1_600_000_000_000u64;
        while left.iter().any(|(_, n)| *n > 0) {
            for (device, n) in left.iter_mut().filter(|(_, n)| *n > 0) {
                *n -= 1;
                out.push_str(&format!(
                    "{{\"topic\": \"fleet/{device}/telemetry\", \"timestamp\": {t}, \"payload\": {{\"device\": \"{device}\"}}}}\n"
                ));
                t += step_ms;
            }
        }
        out
    }

    /// `aws cloudwatch get-metric-data` output as `shardlint export` labels it: one series per
    /// `(label, values)`, one value a minute from 2026-11-30 22:00 UTC.
    pub fn metric_data(series: &[(&str, &[f64])]) -> String {
        let results: Vec<String> = series
            .iter()
            .enumerate()
            .map(|(i, (label, values))| {
                let times: Vec<String> = (0..values.len())
                    .map(|m| format!("\"2026-11-30T22:{m:02}:00+00:00\""))
                    .collect();
                let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                format!(
                    "    {{ \"Id\": \"m{i}\", \"Label\": \"{label}\", \"Timestamps\": [{}], \"Values\": [{}], \"StatusCode\": \"Complete\" }}",
                    times.join(", "),
                    values.join(", ")
                )
            })
            .collect();
        format!(
            "{{\n  \"MetricDataResults\": [\n{}\n  ]\n}}\n",
            results.join(",\n")
        )
    }

    /// Asserts that `text` contains each of `words`, naming the first one missing.
    pub fn says(text: &str, words: &[&str]) {
        for w in words {
            assert!(text.contains(w), "`{w}` not in: {text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_unique_and_documented() {
        let codes: Vec<&str> = RULES.iter().map(|r| r.meta.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            codes, sorted,
            "RULES must be sorted by code with no duplicates"
        );
        for r in RULES {
            let m = r.meta;
            assert!(m.code.len() == 5 && m.code.starts_with("SL"), "{}", m.code);
            assert!(
                m.doc.starts_with(&format!("# {} {}", m.code, m.name)),
                "{}",
                m.code
            );
            for h in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
                "## References",
            ] {
                assert!(m.doc.contains(h), "{} doc lacks `{h}`", m.code);
            }
            assert!(m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
        }
    }
}
