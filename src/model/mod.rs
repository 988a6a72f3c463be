//! The one format-free model that every loader fills and every rule reads: streams (with shard
//! maps when an export gives them), producers (IoT rules and their Kinesis actions; every other
//! producer kind in [`producer`]) and consumers
//! (event source mappings and functions). Every value is a [`Val`]: known, absent (AWS default
//! applies) or unknown with a reason, with the span where it is written and where it came from.

pub mod blocking;
pub mod limits;
pub mod producer;

pub use producer::{KeyExpr, Producer, ProducerKind};

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
    /// Application code (`load::code`), by comment syntax and key spelling.
    Python,
    JavaScript,
    Java,
    Go,
    /// A service's own document read on its own: a state machine definition (`*.asl.json`) or
    /// an OpenAPI file with API Gateway integrations.
    Document,
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
    /// How to bound retries, bisect failing batches and add an on-failure destination, for the
    /// mapping at this address (an export's command names its UUID).
    pub bound_retries: fn(&str) -> String,
    /// The input describes deployed resources as AWS reports them (an export), not configuration.
    pub deployed_state: bool,
    /// What the format's own substitution does to `${expr}` in a key: (message, label, help),
    /// given the effect, the expression and its escaped form.
    pub interpolation: fn(IacEffect, &str, &str) -> (String, &'static str, String),
    /// Fixes: the partition key literal that holds this IoT template, quotes included, given the
    /// literal as written now (its quoting); `None` when the format cannot be edited.
    pub key_literal: fn(&str, &str) -> Option<String>,
    /// Fixes: one setting line (indentation included, no newline) giving the parameter, as
    /// [`Dialect::param`] names it, this value, next to the sibling line `anchor`.
    pub setting_line: fn(&str, &str, &str) -> Option<String>,
    /// The line comment that starts a suppression in a file with the line `anchor` (`#`), or
    /// `None` when the syntax has no comments (JSON).
    pub line_comment: fn(&str) -> Option<&'static str>,
}

/// The leading whitespace of a line.
pub fn indentation(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// A JSON-looking line (`"Key": ...`): such files have no comments and need commas.
fn json_line(line: &str) -> bool {
    line.trim_start().starts_with('"') || line.trim_start().starts_with('{')
}

/// `#` for YAML and HCL; nothing for JSON.
pub fn hash_comment(anchor: &str) -> Option<&'static str> {
    (!json_line(anchor)).then_some("#")
}

/// JSON has no comments.
pub fn no_comment(_: &str) -> Option<&'static str> {
    None
}

/// `Name: value` at the anchor's indentation, for YAML (not a JSON template).
pub fn yaml_setting(name: &str, value: &str, anchor: &str) -> Option<String> {
    let t = anchor.trim_start();
    if json_line(anchor) || t.starts_with("- ") {
        return None;
    }
    Some(format!("{}{name}: {value}", indentation(anchor)))
}

/// A YAML double-quoted scalar (valid JSON too).
pub fn double_quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Formats that are not edited (exports, Terraform JSON settings).
pub fn no_setting(_: &str, _: &str, _: &str) -> Option<String> {
    None
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

impl StreamMode {
    /// `PROVISIONED` or `ON_DEMAND`, as the API, CloudFormation, Terraform and plans spell it:
    /// the one parser every loader uses.
    pub fn parse(s: &str) -> Result<StreamMode, String> {
        match s {
            "PROVISIONED" => Ok(StreamMode::Provisioned),
            "ON_DEMAND" => Ok(StreamMode::OnDemand),
            other => Err(format!(
                "`{other}` is not a stream mode (PROVISIONED or ON_DEMAND)"
            )),
        }
    }
}

/// How Kinesis places records on shards (`RecordDistributionStrategy`, October 2026).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RecordDistribution {
    /// `USER_PARTITION_KEY`, the default: the MD5 of the partition key picks the shard.
    UserPartitionKey,
    /// `AUTO` (on-demand streams only): Kinesis ignores partition keys and `ExplicitHashKey` and
    /// spreads records evenly; per-key order is not kept.
    Auto,
}

impl RecordDistribution {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "USER_PARTITION_KEY" => Some(RecordDistribution::UserPartitionKey),
            "AUTO" => Some(RecordDistribution::Auto),
            _ => None,
        }
    }
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
    /// `retention_period` / `RetentionPeriodHours`: how long a record stays readable, and so how
    /// long a poison record can block its shard.
    pub retention_hours: Val<i64>,
    /// `RecordDistributionStrategy`; absent means the default, `USER_PARTITION_KEY`.
    pub record_distribution: Val<RecordDistribution>,
}

impl Stream {
    /// PROVISIONED unless written otherwise (Terraform and CloudFormation both default to it).
    pub fn effective_mode(&self) -> Option<StreamMode> {
        self.mode.or_default(StreamMode::Provisioned)
    }
    /// The stream spreads records itself (`AUTO`): partition keys do not pick shards.
    pub fn is_auto_distribution(&self) -> bool {
        self.record_distribution.get() == Some(&RecordDistribution::Auto)
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
    /// The source's kind as the loader saw it (referenced resource type, SAM/Serverless event
    /// type, a Kafka/MQ/DocumentDB-only block); the ARN, when known, takes precedence.
    pub source_type_hint: Option<EventSourceType>,
    pub function_ref: Option<String>,
}

/// The kind of source an event source mapping reads. Lambda's settings and their ranges differ
/// per kind (see `limits`); only Kinesis and DynamoDB streams have shards, bisect, retries by
/// record age and ParallelizationFactor.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum EventSourceType {
    Kinesis,
    DynamoDbStreams,
    Sqs,
    /// An SQS FIFO queue (name ends in `.fifo`): BatchSize at most 10.
    SqsFifo,
    Msk,
    SelfManagedKafka,
    Mq,
    DocumentDb,
}

impl EventSourceType {
    /// `a Kinesis stream`, `an SQS queue`: for messages.
    pub fn label(self) -> &'static str {
        match self {
            EventSourceType::Kinesis => "a Kinesis stream",
            EventSourceType::DynamoDbStreams => "a DynamoDB stream",
            EventSourceType::Sqs => "an SQS queue",
            EventSourceType::SqsFifo => "an SQS FIFO queue",
            EventSourceType::Msk => "an Amazon MSK cluster",
            EventSourceType::SelfManagedKafka => "a self-managed Kafka cluster",
            EventSourceType::Mq => "an Amazon MQ broker",
            EventSourceType::DocumentDb => "a DocumentDB change stream",
        }
    }
    /// Kinesis and DynamoDB streams: shards, poison-record blocking, the stream-only settings.
    pub fn is_stream(self) -> bool {
        matches!(
            self,
            EventSourceType::Kinesis | EventSourceType::DynamoDbStreams
        )
    }
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
    /// Any other event source whose kind the ARN tells (SQS, MSK, MQ, DocumentDB).
    Source(EventSourceType),
    Other,
}

/// What the mapping's settings and source say about its kind.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SourceKindGuess {
    Known(EventSourceType),
    /// Unknown source, but a Kinesis/DynamoDB-only setting is written.
    Stream,
    /// Unknown source with `StartingPosition`: a stream or a Kafka cluster.
    StreamOrKafka,
    /// Unknown source without `StartingPosition`: a queue, broker or unknown.
    Unknown,
}

impl EventSourceMapping {
    pub fn is_efo(&self) -> bool {
        matches!(
            self.source_arn.get().map(|a| classify_source_arn(a)),
            Some(SourceTarget::KinesisConsumer { .. })
        )
    }
    /// The source's kind: from the ARN, then what the loader saw (the referenced resource's type,
    /// the SAM/Serverless event type, Kafka/MQ/DocumentDB-only blocks), then a linked stream, then
    /// the settings present.
    pub fn source_kind(&self) -> SourceKindGuess {
        if let Some(arn) = self.source_arn.get() {
            match classify_source_arn(arn) {
                SourceTarget::KinesisStream { .. } | SourceTarget::KinesisConsumer { .. } => {
                    return SourceKindGuess::Known(EventSourceType::Kinesis);
                }
                SourceTarget::DynamoDbStream => {
                    return SourceKindGuess::Known(EventSourceType::DynamoDbStreams);
                }
                SourceTarget::Source(t) => return SourceKindGuess::Known(t),
                SourceTarget::Other => {}
            }
        }
        if let Some(t) = self.source_type_hint {
            return SourceKindGuess::Known(t);
        }
        if self.stream.is_some() {
            return SourceKindGuess::Known(EventSourceType::Kinesis);
        }
        let written = |v: &Val<i64>| !v.is_absent();
        if written(&self.parallelization_factor)
            || written(&self.max_record_age)
            || !self.bisect_on_error.is_absent()
        {
            return SourceKindGuess::Stream;
        }
        if !self.starting_position.is_absent() {
            return SourceKindGuess::StreamOrKafka;
        }
        SourceKindGuess::Unknown
    }
    pub fn source_type(&self) -> Option<EventSourceType> {
        match self.source_kind() {
            SourceKindGuess::Known(t) => Some(t),
            _ => None,
        }
    }
    /// Whether this mapping reads a Kinesis or DynamoDB stream (the stream parameters apply).
    pub fn is_stream_source(&self) -> bool {
        match self.source_kind() {
            SourceKindGuess::Known(t) => t.is_stream(),
            SourceKindGuess::Stream => true,
            SourceKindGuess::StreamOrKafka | SourceKindGuess::Unknown => false,
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
            "sqs" if resource.ends_with(".fifo") => SourceTarget::Source(EventSourceType::SqsFifo),
            "sqs" => SourceTarget::Source(EventSourceType::Sqs),
            "kafka" => SourceTarget::Source(EventSourceType::Msk),
            "mq" => SourceTarget::Source(EventSourceType::Mq),
            "rds" if resource.starts_with("cluster:") => {
                SourceTarget::Source(EventSourceType::DocumentDb)
            }
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

/// What a CloudWatch series measures, as the export's query label names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MetricSubject {
    Stream {
        name: String,
    },
    Shard {
        stream: String,
        shard: String,
    },
    /// A function as its mapping names it: `name` or `name:qualifier`.
    Function {
        name: String,
    },
}

/// One observed metric series (`aws cloudwatch get-metric-data` output written by
/// `shardlint export`): what it measures, and its points.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSeries {
    pub region: String,
    pub subject: MetricSubject,
    /// `IncomingRecords`, `GetRecords.IteratorAgeMilliseconds`, `IteratorAge`, ...
    pub metric: String,
    /// `Sum`, `Maximum`, ...
    pub stat: String,
    pub period_s: i64,
    /// (Unix seconds, value), in time order.
    pub points: Vec<(i64, f64)>,
    /// The series' `Label` in the file.
    pub span: Span,
    /// `MetricDataResults[3]`.
    pub path: String,
}

/// What an export is of (`manifest.json` written by `shardlint export`), for report headers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportInfo {
    pub account: Option<String>,
    pub regions: Vec<String>,
    pub exported_at: Option<String>,
    /// Metrics window, as written (`2026-11-30T22:00:00Z`).
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub aws_cli_version: Option<String>,
    /// Calls that failed (`access-denied aws iot get-topic-rule ...`): the export is partial.
    pub failures: Vec<String>,
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
    /// Producers other than IoT rules (EventBridge, Pipes, API Gateway, Step Functions, code).
    pub producers: Vec<Producer>,
    pub mappings: Vec<EventSourceMapping>,
    pub functions: Vec<Function>,
    pub unlinked: Vec<Unlinked>,
    /// Observed CloudWatch metrics (exports only).
    pub metrics: Vec<MetricSeries>,
    /// The manifests of the exports read.
    pub exports: Vec<ExportInfo>,
    /// Files another file includes (a Serverless `${file(...)}`): read as part of it, not alone.
    pub included: Vec<std::path::PathBuf>,
}

impl Model {
    pub fn extend(&mut self, other: Model) {
        self.streams.extend(other.streams);
        self.rules.extend(other.rules);
        self.producers.extend(other.producers);
        self.mappings.extend(other.mappings);
        self.functions.extend(other.functions);
        self.unlinked.extend(other.unlinked);
        self.metrics.extend(other.metrics);
        self.exports.extend(other.exports);
        self.included.extend(other.included);
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
            SourceTarget::Source(EventSourceType::Sqs)
        );
        assert_eq!(
            classify_source_arn("arn:aws:sqs:us-east-1:123:q.fifo"),
            SourceTarget::Source(EventSourceType::SqsFifo)
        );
        assert_eq!(
            classify_source_arn("arn:aws:kafka:us-east-1:123:cluster/c/abc-1"),
            SourceTarget::Source(EventSourceType::Msk)
        );
        assert_eq!(
            classify_source_arn("arn:aws:mq:us-east-1:123:broker:b:b-1"),
            SourceTarget::Source(EventSourceType::Mq)
        );
        assert_eq!(
            classify_source_arn("arn:aws:rds:us-east-1:123:cluster:docs"),
            SourceTarget::Source(EventSourceType::DocumentDb)
        );
        assert_eq!(
            classify_source_arn("arn:aws:s3:::bucket"),
            SourceTarget::Other
        );
    }
}
