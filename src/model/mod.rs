//! The one format-free model that every loader fills and every rule reads: streams (with shard
//! maps when an export gives them), producers (IoT rules and their Kinesis actions) and consumers
//! (event source mappings and functions). Every value is a [`Val`]: known, absent (AWS default
//! applies) or unknown with a reason, with the span where it is written and where it came from.

pub mod limits;

use crate::source::{Escapes, Span};

/// Which kind of input a resource came from; rules use it only through its [`Dialect`]
/// (`kind.dialect()`, registered in `crate::load`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Terraform,
    /// Terraform JSON syntax (`*.tf.json`).
    TerraformJson,
    TerraformPlan,
    CloudFormation,
    Serverless,
    Export,
}

/// How one input format spells what help text names: parameters, the partition key, fixes, and
/// what the format's own `${...}` substitution does to an IoT template. Each loader defines one;
/// rules build their help from it and never name a format.
pub struct Dialect {
    /// A mapping parameter by its API name (`BatchSize`) as this format writes it.
    pub param: fn(&str) -> String,
    /// The partition key's attribute name.
    pub key_param: &'static str,
    /// The partition key set to an IoT template, in this format's syntax.
    pub key_example: fn(&str) -> String,
    /// How to add an on-failure destination (a sentence fragment starting with a verb).
    pub add_destination: &'static str,
    /// How to bound retries, bisect failing batches and add an on-failure destination.
    pub bound_retries: &'static str,
    /// The input describes deployed resources as AWS reports them (an export), not configuration.
    pub deployed_state: bool,
    /// What the format's own substitution does to `${expr}` in a key: (message, label, help),
    /// given the effect, the expression and its escaped form.
    pub interpolation: fn(IacEffect, &str, &str) -> (String, &'static str, String),
}

/// A location that explains a value: e.g. the variable default that a key resolved from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub path: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValState<T> {
    /// Not written: the AWS default applies.
    Absent,
    Known(T),
    /// Written, but cannot be resolved statically. The reason is said to the user.
    Unknown(String),
}

/// A configuration value with its provenance.
#[derive(Clone, Debug, PartialEq)]
pub struct Val<T> {
    pub state: ValState<T>,
    /// Where the value is written in the resource (the attribute's expression); `None` when absent.
    pub span: Option<Span>,
    /// How the string at `span` was written, for mapping offsets inside it.
    pub escapes: Escapes,
    /// Logical path, e.g. `aws_iot_topic_rule.x.kinesis[0].partition_key`.
    pub path: String,
    /// Where the value really comes from when that is elsewhere (variable default, tfvars, Parameter).
    pub via: Vec<Related>,
}

impl<T> Val<T> {
    pub fn absent(path: impl Into<String>) -> Self {
        Val {
            state: ValState::Absent,
            span: None,
            escapes: Escapes::Verbatim,
            path: path.into(),
            via: Vec::new(),
        }
    }
    pub fn known(value: T, span: Option<Span>, path: impl Into<String>) -> Self {
        Val {
            state: ValState::Known(value),
            span,
            escapes: Escapes::Verbatim,
            path: path.into(),
            via: Vec::new(),
        }
    }
    pub fn unknown(reason: impl Into<String>, span: Option<Span>, path: impl Into<String>) -> Self {
        Val {
            state: ValState::Unknown(reason.into()),
            span,
            escapes: Escapes::Verbatim,
            path: path.into(),
            via: Vec::new(),
        }
    }
    pub fn get(&self) -> Option<&T> {
        match &self.state {
            ValState::Known(v) => Some(v),
            _ => None,
        }
    }
    pub fn is_absent(&self) -> bool {
        matches!(self.state, ValState::Absent)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self.state, ValState::Unknown(_))
    }
    /// The known value, or `default` when absent; `None` when unknown.
    pub fn or_default(&self, default: T) -> Option<T>
    where
        T: Clone,
    {
        match &self.state {
            ValState::Known(v) => Some(v.clone()),
            ValState::Absent => Some(default),
            ValState::Unknown(_) => None,
        }
    }
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Val<U> {
        Val {
            state: match self.state {
                ValState::Known(v) => ValState::Known(f(v)),
                ValState::Absent => ValState::Absent,
                ValState::Unknown(r) => ValState::Unknown(r),
            },
            span: self.span,
            escapes: self.escapes,
            path: self.path,
            via: self.via,
        }
    }
}

/// Where a resource is declared.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    pub kind: SourceKind,
    /// Logical address: `aws_kinesis_stream.location`, `Resources.LocationStream`, `stream/location-stream`.
    pub address: String,
    /// The resource's declaration (its first line is enough for a label).
    pub span: Span,
    /// Directory or template the resource belongs to; links never cross modules of different roots
    /// unless names match.
    pub module: String,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StreamMode {
    Provisioned,
    OnDemand,
}

/// One shard as an export lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardRecord {
    pub shard_id: String,
    pub starting_hash_key: u128,
    pub ending_hash_key: u128,
    /// `EndingSequenceNumber` present: closed, never receives new keys.
    pub closed: bool,
    pub parent: Option<String>,
    pub adjacent_parent: Option<String>,
    pub span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    pub origin: Origin,
    pub name: Val<String>,
    /// Known for exports; derived from the name for IaC when the account is not known.
    pub arn: Option<String>,
    pub mode: Val<StreamMode>,
    pub shard_count: Val<i64>,
    /// The real shard list when an export provides it.
    pub shards: Option<Vec<ShardRecord>>,
    /// Where the shard list lives (for findings about the map as a whole).
    pub shards_span: Option<Span>,
}

impl Stream {
    /// PROVISIONED unless written otherwise (Terraform and CloudFormation both default to it).
    pub fn effective_mode(&self) -> Option<StreamMode> {
        self.mode.or_default(StreamMode::Provisioned)
    }
    pub fn display_name(&self) -> String {
        self.name
            .get()
            .cloned()
            .unwrap_or_else(|| self.origin.address.clone())
    }
    /// Number of open shards: from the export, else the configured count.
    pub fn open_shard_count(&self) -> Option<i64> {
        if let Some(shards) = &self.shards {
            return Some(shards.iter().filter(|s| !s.closed).count() as i64);
        }
        match self.effective_mode()? {
            StreamMode::Provisioned => self.shard_count.get().copied(),
            StreamMode::OnDemand => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct KinesisAction {
    /// `aws_iot_topic_rule.x.kinesis[0]`, `...error_action.kinesis`, `Resources.R...Actions[0].Kinesis`.
    pub path: String,
    pub span: Span,
    pub in_error_action: bool,
    pub stream_name: Val<String>,
    /// The IoT substitution template as IoT will see it (IaC escapes removed).
    pub partition_key: Val<String>,
    /// Parts of the key that the IaC tool itself evaluates before IoT sees it.
    pub iac_interpolations: Vec<IacInterpolation>,
    /// Index into `Model::streams` after linking.
    pub stream: Option<usize>,
    /// The stream resource the IaC refers to (`aws_kinesis_stream.x`, `Resources.X`), if any.
    pub stream_ref: Option<String>,
    /// Where the key's text is literally written (it may be a variable default), for pointing
    /// inside the string.
    pub key_literal: Option<(Span, Escapes)>,
}

/// A `${...}` in a key that the IaC tool (Terraform, `!Sub`, Serverless) substitutes at deploy time.
#[derive(Clone, Debug, PartialEq)]
pub struct IacInterpolation {
    pub tool: IacTool,
    /// The expression text inside `${...}`.
    pub expr: String,
    pub span: Span,
    /// The escaped form the user most likely meant (`$${newuuid()}`, `${!vin}`).
    pub escaped_form: String,
    pub effect: IacEffect,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IacTool {
    Terraform,
    CloudFormationSub,
    /// The Serverless Framework's variable resolver (`${self:...}`, and `${name(...)}` it rejects).
    Serverless,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IacEffect {
    /// Evaluated once per apply/deploy: the key becomes a constant (`${uuid()}`, `${timestamp()}`).
    FixedPerDeploy,
    /// The tool rejects it (`${topic(3)}` is not a Terraform function; `!Sub "${vin}"` with no such parameter).
    Rejected,
    /// Substituted with a known value (a Parameter or pseudo parameter in `!Sub`).
    Substituted,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TopicRule {
    pub origin: Origin,
    pub name: Val<String>,
    pub sql: Val<String>,
    pub sql_version: Val<String>,
    /// `enabled` (Terraform) or `!RuleDisabled` (API, CloudFormation).
    pub enabled: Val<bool>,
    pub actions: Vec<KinesisAction>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EventSourceMapping {
    pub origin: Origin,
    pub source_arn: Val<String>,
    pub function: Val<String>,
    pub batch_size: Val<i64>,
    pub batching_window: Val<i64>,
    pub parallelization_factor: Val<i64>,
    pub starting_position: Val<String>,
    pub max_retry_attempts: Val<i64>,
    pub max_record_age: Val<i64>,
    pub bisect_on_error: Val<bool>,
    pub on_failure_destination: Val<String>,
    pub function_response_types: Val<Vec<String>>,
    pub tumbling_window: Val<i64>,
    pub enabled: Val<bool>,
    /// Index into `Model::streams` after linking.
    pub stream: Option<usize>,
    /// Index into `Model::functions` after linking.
    pub function_idx: Option<usize>,
    /// The stream and function resources the IaC refers to, if any (`aws_kinesis_stream.x`).
    pub source_ref: Option<String>,
    pub function_ref: Option<String>,
}

/// What an event source ARN points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceTarget {
    /// A Kinesis stream, by name (from `arn:...:stream/NAME`).
    KinesisStream {
        name: String,
    },
    /// An enhanced fan-out consumer of a stream (`arn:...:stream/NAME/consumer/C:1`).
    KinesisConsumer {
        stream: String,
        consumer: String,
    },
    DynamoDbStream,
    Other,
}

impl EventSourceMapping {
    pub fn is_efo(&self) -> bool {
        matches!(
            self.source_arn.get().map(|a| classify_source_arn(a)),
            Some(SourceTarget::KinesisConsumer { .. })
        )
    }
    /// Whether this mapping reads a Kinesis or DynamoDB stream (the stream parameters apply).
    pub fn is_stream_source(&self) -> bool {
        match self.source_arn.get() {
            Some(a) => !matches!(classify_source_arn(a), SourceTarget::Other),
            None => self.stream.is_some() || !self.starting_position.is_absent(),
        }
    }
}

/// Classifies an event source ARN by its service and resource part.
pub fn classify_source_arn(arn: &str) -> SourceTarget {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" {
        let resource = parts[5];
        match parts[2] {
            "kinesis" => {
                if let Some(rest) = resource.strip_prefix("stream/") {
                    let mut it = rest.split('/');
                    let name = it.next().unwrap_or_default().to_string();
                    if it.next() == Some("consumer") {
                        return SourceTarget::KinesisConsumer {
                            stream: name,
                            consumer: it.next().unwrap_or_default().to_string(),
                        };
                    }
                    return SourceTarget::KinesisStream { name };
                }
                SourceTarget::Other
            }
            "dynamodb" if resource.contains("/stream/") => SourceTarget::DynamoDbStream,
            _ => SourceTarget::Other,
        }
    } else {
        SourceTarget::Other
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub origin: Origin,
    pub name: Val<String>,
    pub arn: Option<String>,
    pub timeout: Val<i64>,
    pub memory_size: Val<i64>,
}

/// A reference from one resource to another that could not be linked; reported once.
#[derive(Clone, Debug, PartialEq)]
pub struct Unlinked {
    pub span: Span,
    pub path: String,
    /// What was looked for (`stream location-stream`).
    pub wanted: String,
    pub reason: String,
}

/// Everything the loaders found in one run.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub streams: Vec<Stream>,
    pub rules: Vec<TopicRule>,
    pub mappings: Vec<EventSourceMapping>,
    pub functions: Vec<Function>,
    pub unlinked: Vec<Unlinked>,
}

impl Model {
    pub fn extend(&mut self, other: Model) {
        self.streams.extend(other.streams);
        self.rules.extend(other.rules);
        self.mappings.extend(other.mappings);
        self.functions.extend(other.functions);
        self.unlinked.extend(other.unlinked);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_arns() {
        assert_eq!(
            classify_source_arn("arn:aws:kinesis:us-east-1:123:stream/location-stream"),
            SourceTarget::KinesisStream {
                name: "location-stream".into()
            }
        );
        assert_eq!(
            classify_source_arn("arn:aws:kinesis:us-east-1:123:stream/s/consumer/c:1600000000"),
            SourceTarget::KinesisConsumer {
                stream: "s".into(),
                consumer: "c:1600000000".into()
            }
        );
        assert_eq!(
            classify_source_arn("arn:aws:dynamodb:us-east-1:123:table/t/stream/2020"),
            SourceTarget::DynamoDbStream
        );
        assert_eq!(
            classify_source_arn("arn:aws:sqs:us-east-1:123:q"),
            SourceTarget::Other
        );
    }
}
