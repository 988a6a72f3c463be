//! Producers other than IoT rules (EventBridge targets, Pipes, API Gateway integrations, Step
//! Functions tasks, application code): each is one [`Producer`] with the stream it writes to and
//! its partition key expression already classified by the loader that read it. IoT rules stay
//! [`super::TopicRule`] (their templates have their own analysis); rules treat both alike.

use super::{Origin, Val};

/// What wrote the producer: decides the wording of messages, never the logic.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProducerKind {
    /// An EventBridge rule target on a stream (`kinesis_target`, `KinesisParameters`).
    EventBridgeTarget,
    /// An EventBridge pipe whose target is a stream.
    Pipe,
    /// An API Gateway integration that calls `PutRecord`/`PutRecords`.
    ApiGateway,
    /// A Step Functions task calling the Kinesis SDK integration.
    StepFunctions,
    /// Application code calling the AWS SDK (`PutRecord`, `PutRecords`, KPL).
    Code,
}

impl ProducerKind {
    /// `EventBridge target`: for messages ("the EventBridge target's partition key").
    pub fn label(self) -> &'static str {
        match self {
            ProducerKind::EventBridgeTarget => "EventBridge target",
            ProducerKind::Pipe => "EventBridge pipe",
            ProducerKind::ApiGateway => "API Gateway integration",
            ProducerKind::StepFunctions => "Step Functions task",
            ProducerKind::Code => "PutRecord call",
        }
    }
}

/// How a producer's partition key varies between records: the classes IoT templates have, plus
/// low-cardinality (a handful of values, e.g. an event's `source`).
#[derive(Clone, Debug, PartialEq)]
pub enum KeyExpr {
    /// The same key for every record.
    Constant { value: String },
    /// Varies with each record (a payload field, a device id): `what` names it.
    PerRecord { what: String },
    /// A new random key per record: even spread, no per-key order.
    Random { what: String },
    /// Only the time varies: a moving hot shard.
    TimeBased { what: String },
    /// A few distinct values: at most `count` shards ever receive records (`None` = few, number
    /// not known statically).
    LowCardinality { count: Option<u64>, what: String },
    /// Cannot be classified statically; said once, never guessed.
    Unknown { reason: String },
}

/// One producer of records into a stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Producer {
    pub origin: Origin,
    pub kind: ProducerKind,
    /// What wrote the records, for messages: `EventBridge target`, `` `put_record` call``.
    pub label: String,
    /// The stream's name or ARN as written (for linking and messages).
    pub stream_name: Val<String>,
    /// The stream resource the IaC refers to (`aws_kinesis_stream.x`), if any.
    pub stream_ref: Option<String>,
    /// Index into `Model::streams` after linking.
    pub stream: Option<usize>,
    /// The key expression as written, with its span; absent when the service picks the key.
    pub key: Val<String>,
    pub class: KeyExpr,
    /// A per-record key in this producer's own syntax (for help text).
    pub per_record_example: String,
    /// The partition key path evaluated on each sample event (`check --samples`), when the
    /// service computes the key from the event with a JSONPath.
    pub sample_path: Option<String>,
}

impl Producer {
    /// `EventBridge target `aws_cloudwatch_event_target.x``.
    pub fn describe(&self) -> String {
        format!("{} `{}`", self.kind.label(), self.origin.address)
    }
}

/// Fields of the EventBridge event envelope that take few values across a bus: a key read from
/// them fills at most that many shards.
const FEW_VALUED_EVENT_FIELDS: &[&str] = &["source", "detail-type", "region", "account", "version"];

/// Classifies an EventBridge `PartitionKeyPath` (a JSONPath into the event). Absent means the
/// event id, a new value per event (see rules/SL107.md for the AWS statement).
pub fn classify_event_path(path: &str) -> KeyExpr {
    let p = path.trim();
    let Some(rest) = p.strip_prefix("$.").or_else(|| p.strip_prefix("$[")) else {
        return KeyExpr::Unknown {
            reason: format!("`{p}` is not a JSONPath starting with `$`"),
        };
    };
    let top = rest
        .trim_start_matches(['\'', '"'])
        .split(['.', '[', '\'', '"', ']'])
        .next()
        .unwrap_or_default();
    let whole = !rest.trim_end_matches([']', '\'', '"']).contains(['.', '[']);
    match top {
        "id" if whole => KeyExpr::Random {
            what: "the event id".into(),
        },
        "time" if whole => KeyExpr::TimeBased {
            what: "the event time".into(),
        },
        f if whole && FEW_VALUED_EVENT_FIELDS.contains(&f) => KeyExpr::LowCardinality {
            count: None,
            what: format!("the event's `{f}`"),
        },
        "resources" => KeyExpr::LowCardinality {
            count: None,
            what: "the event's `resources`".into(),
        },
        _ => KeyExpr::PerRecord {
            what: format!("`{p}`"),
        },
    }
}

/// Classifies an EventBridge Pipes `PartitionKey`: a dynamic path (`$.body.deviceId`) is
/// evaluated per event; anything else is the literal key.
pub fn classify_pipe_key(key: &str) -> KeyExpr {
    let k = key.trim();
    if k.starts_with("$.") || k == "$" {
        match k {
            "$.eventSource" | "$.awsRegion" | "$.eventSourceARN" | "$.eventName" => {
                KeyExpr::LowCardinality {
                    count: None,
                    what: format!("`{k}`"),
                }
            }
            "$.messageId" | "$.eventID" | "$.sequenceNumber" => KeyExpr::Random {
                what: format!("`{k}`"),
            },
            _ => KeyExpr::PerRecord {
                what: format!("`{k}`"),
            },
        }
    } else {
        KeyExpr::Constant {
            value: key.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_paths() {
        assert!(matches!(
            classify_event_path("$.source"),
            KeyExpr::LowCardinality { count: None, .. }
        ));
        assert!(matches!(
            classify_event_path("$.detail-type"),
            KeyExpr::LowCardinality { .. }
        ));
        assert!(matches!(
            classify_event_path("$.detail.source"),
            KeyExpr::PerRecord { .. }
        ));
        assert!(matches!(
            classify_event_path("$.id"),
            KeyExpr::Random { .. }
        ));
        assert!(matches!(
            classify_event_path("$.detail.deviceId"),
            KeyExpr::PerRecord { .. }
        ));
        assert!(matches!(
            classify_event_path("source"),
            KeyExpr::Unknown { .. }
        ));
    }

    #[test]
    fn pipe_keys() {
        assert_eq!(
            classify_pipe_key("orders"),
            KeyExpr::Constant {
                value: "orders".into()
            }
        );
        assert!(matches!(
            classify_pipe_key("$.body.deviceId"),
            KeyExpr::PerRecord { .. }
        ));
        assert!(matches!(
            classify_pipe_key("$.awsRegion"),
            KeyExpr::LowCardinality { .. }
        ));
    }
}
