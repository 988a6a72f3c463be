//! Every AWS limit and default shardlint codes against, each written once with its source
//! (see `../shared/reference/aws-facts.md`). Rules and the simulator read them from here.
//!
//! Sources, cited below by their tag:
//! - [botocore-lambda]: boto/botocore `botocore/data/lambda/2015-03-31/service-2.json`
//!   (commit 308fc613b66c03dc755d1cca27c30269919a380b): `CreateEventSourceMappingRequest` member
//!   docs and shapes (`BatchSize` per source type, `MaximumRecordAgeInSeconds`, `OnFailure`).
//! - [botocore-kinesis]: `botocore/data/kinesis/2013-12-02/service-2.json`: `MaxRecordSizeInKiB`,
//!   `RetentionPeriodHours`, `RegisterStreamConsumer`, `RecordDistributionStrategy`.
//! - [tf-kinesis]: hashicorp/terraform-provider-aws `internal/service/kinesis/stream.go`
//!   (commit 03aadd4385481a5bb0e26d7eec2a2d75ea30c9a0): `retention_period` 24..8760, default 24;
//!   no attribute for the record distribution strategy.

/// An inclusive integer range that a setting accepts.
#[derive(Copy, Clone, Debug)]
pub struct Range {
    pub min: i64,
    pub max: i64,
    /// Extra single values accepted outside `min..=max` (e.g. -1 for "infinite").
    pub also: Option<i64>,
}

impl Range {
    pub fn contains(&self, v: i64) -> bool {
        (self.min..=self.max).contains(&v) || self.also == Some(v)
    }
    pub fn describe(&self) -> String {
        match self.also {
            Some(a) => format!("{a} or {}..{}", self.min, self.max),
            None => format!("{}..{}", self.min, self.max),
        }
    }
}

/// One event-source-mapping stream parameter: its range, default and documentation.
#[derive(Copy, Clone, Debug)]
pub struct EsmParam {
    /// API name (`BatchSize`).
    pub api: &'static str,
    pub range: Range,
    pub default: i64,
    pub doc: &'static str,
}

pub const ESM_DOC: &str =
    "https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html";

/// Kinesis / DynamoDB stream ranges (aws-facts §3.1, [botocore-lambda]).
pub const BATCH_SIZE: EsmParam = EsmParam {
    api: "BatchSize",
    range: Range {
        min: 1,
        max: 10_000,
        also: None,
    },
    default: 100,
    doc: ESM_DOC,
};
pub const BATCHING_WINDOW: EsmParam = EsmParam {
    api: "MaximumBatchingWindowInSeconds",
    range: Range {
        min: 0,
        max: 300,
        also: None,
    },
    default: 0,
    doc: ESM_DOC,
};
pub const PARALLELIZATION_FACTOR: EsmParam = EsmParam {
    api: "ParallelizationFactor",
    range: Range {
        min: 1,
        max: 10,
        also: None,
    },
    default: 1,
    doc: ESM_DOC,
};
/// -1 means retry until the record expires.
pub const MAX_RETRY_ATTEMPTS: EsmParam = EsmParam {
    api: "MaximumRetryAttempts",
    range: Range {
        min: -1,
        max: 10_000,
        also: None,
    },
    default: -1,
    doc: ESM_DOC,
};
/// The API model says -1..604800, but 0..59 are rejected (aws-facts §3.1).
pub const MAX_RECORD_AGE: EsmParam = EsmParam {
    api: "MaximumRecordAgeInSeconds",
    range: Range {
        min: 60,
        max: 604_800,
        also: Some(-1),
    },
    default: -1,
    doc: ESM_DOC,
};
/// API 0..900 (0 = off); Terraform and SAM docs say 1..900 (CONFLICT in aws-facts §3.1): accept 0.
pub const TUMBLING_WINDOW: EsmParam = EsmParam {
    api: "TumblingWindowInSeconds",
    range: Range {
        min: 0,
        max: 900,
        also: None,
    },
    default: 0,
    doc: ESM_DOC,
};

/// `BatchSize` for an SQS standard queue: default 10, max 10,000 ([botocore-lambda] `BatchSize`).
pub const BATCH_SIZE_SQS: EsmParam = EsmParam {
    api: "BatchSize",
    range: Range {
        min: 1,
        max: 10_000,
        also: None,
    },
    default: 10,
    doc: ESM_DOC,
};
/// `BatchSize` for an SQS FIFO queue: default 10, max 10 ([botocore-lambda] `BatchSize`).
pub const BATCH_SIZE_SQS_FIFO: EsmParam = EsmParam {
    api: "BatchSize",
    range: Range {
        min: 1,
        max: 10,
        also: None,
    },
    default: 10,
    doc: ESM_DOC,
};

/// The `BatchSize` range and default for a source kind; `None` (unknown source) gives the range
/// every kind accepts (1..10,000: only values invalid for every source are reported).
/// Kinesis, DynamoDB Streams, MSK, self-managed Kafka, MQ and DocumentDB: default 100, max
/// 10,000 ([botocore-lambda] `CreateEventSourceMappingRequest.BatchSize`).
pub fn batch_size_for(source: Option<crate::model::EventSourceType>) -> EsmParam {
    use crate::model::EventSourceType as T;
    match source {
        Some(T::Sqs) => BATCH_SIZE_SQS,
        Some(T::SqsFifo) => BATCH_SIZE_SQS_FIFO,
        _ => BATCH_SIZE,
    }
}

/// Kinesis stream retention in hours: default 24, 24..8760 ([botocore-kinesis]
/// `RetentionPeriodHours`; [tf-kinesis] `retention_period`). A poison record with unbounded
/// retries and age blocks its shard this long.
pub const RETENTION_HOURS: EsmParam = EsmParam {
    api: "RetentionPeriodHours",
    range: Range {
        min: 24,
        max: 8_760,
        also: None,
    },
    default: 24,
    doc: "https://docs.aws.amazon.com/kinesis/latest/APIReference/API_IncreaseStreamRetentionPeriod.html",
};
/// DynamoDB Streams keep records 24 hours, fixed.
pub const DYNAMODB_STREAM_RETENTION_HOURS: i64 = 24;
pub const DYNAMODB_STREAMS_DOC: &str =
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html";

/// Maximum record size: 1 MiB by default, configurable per stream up to 10 MiB
/// (`MaxRecordSizeInKiB` 1024..10240, [botocore-kinesis]); per-shard write stays 1 MiB/s.
pub const MAX_RECORD_SIZE_KIB_DEFAULT: i64 = 1_024;
pub const MAX_RECORD_SIZE_KIB_MAX: i64 = 10_240;
pub const LARGE_RECORDS_DOC: &str =
    "https://docs.aws.amazon.com/streams/latest/dev/large-records.html";

/// Enhanced fan-out consumers per stream: 20, or 50 with On-demand Advantage ([botocore-kinesis]
/// `RegisterStreamConsumer`).
pub const EFO_CONSUMERS_PER_STREAM: u32 = 20;
pub const EFO_CONSUMERS_ON_DEMAND_ADVANTAGE: u32 = 50;

/// On-failure destinations a stream mapping accepts: SNS topic, SQS queue or S3 bucket (S3 keeps
/// the records, the others only their metadata); a Kafka topic for Kafka sources
/// ([botocore-lambda] `OnFailure.Destination`).
pub const ON_FAILURE_DESTINATIONS: &str = "an SQS queue, SNS topic or S3 bucket ARN";
pub const ON_FAILURE_DOC: &str =
    "https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html";

/// `FilterCriteria`: up to 5 filters by default; filtered-out records are not invoked
/// ([botocore-lambda] `FilterCriteria`).
pub const FILTER_CRITERIA_DOC: &str =
    "https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html";

/// Service-managed record distribution (`RecordDistributionStrategy = AUTO`, October 2026,
/// on-demand streams; [botocore-kinesis] `UpdateStreamRecordDistributionStrategy`).
pub const RECORD_DISTRIBUTION_DOC: &str = "https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateStreamRecordDistributionStrategy.html";

/// Legacy CLI outputs show these instead of -1 for "unbounded" (aws-facts §3.1, CONFLICT).
pub const LEGACY_UNBOUNDED_RETRIES: i64 = 10_000;
pub const LEGACY_UNBOUNDED_AGE: i64 = 604_800;

/// Lambda function timeout default (seconds) and maximum for standard functions ([botocore-lambda]
/// `CreateFunctionRequest.Timeout`: "The default is 3 seconds. The maximum allowed value is 900
/// seconds").
pub const FUNCTION_TIMEOUT_DEFAULT: i64 = 3;
pub const FUNCTION_TIMEOUT_MAX: i64 = 900;

/// Per-shard write limits: 1,000 records/s and 1 MiB/s (aws-facts §1.7, [`SHARD_LIMITS_DOC`]).
pub const SHARD_WRITE_RECORDS_PER_S: f64 = 1_000.0;
pub const SHARD_WRITE_BYTES_PER_S: f64 = 1_048_576.0;
/// Shared-throughput GetRecords calls per shard per second ([`SHARD_LIMITS_DOC`]).
pub const SHARD_GETRECORDS_PER_S: u32 = 5;
pub const SHARD_LIMITS_DOC: &str =
    "https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html";

/// Partition key length bounds (aws-facts §1.3). The unit of 256 is not documented; the KPL counts
/// UTF-16 code units, and shardlint counts Unicode code points (documented assumption).
pub const PARTITION_KEY_MIN: usize = 1;
pub const PARTITION_KEY_MAX: usize = 256;

/// Synchronous invocation payload limit (aws-facts §3.5, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
/// a record larger than this (possible with 10 MiB records) cannot fit one invocation.
pub const INVOKE_PAYLOAD_BYTES: u64 = 6 * 1024 * 1024;

/// IoT SQL versions (aws-facts §2.4); CloudFormation's default when omitted.
pub const IOT_SQL_VERSIONS: [&str; 3] = ["2015-10-08", "2016-03-23", "beta"];
pub const IOT_SQL_VERSION_CFN_DEFAULT: &str = "2015-10-08";

pub const IOT_TEMPLATES_DOC: &str =
    "https://docs.aws.amazon.com/iot/latest/developerguide/iot-substitution-templates.html";
pub const KINESIS_KEY_DOC: &str =
    "https://docs.aws.amazon.com/streams/latest/dev/key-concepts.html#partition-key";
pub const KINESIS_ESM_DOC: &str = "https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html";

/// Every stream parameter with a range, for the range rule.
pub const ESM_RANGED: [EsmParam; 6] = [
    BATCH_SIZE,
    BATCHING_WINDOW,
    PARALLELIZATION_FACTOR,
    MAX_RETRY_ATTEMPTS,
    MAX_RECORD_AGE,
    TUMBLING_WINDOW,
];

/// Kinesis sets no upper limit on shards per stream; the default per-account shard quota is
/// 20,000 in us-east-1, us-west-2 and eu-west-1 and 1,000 or 6,000 elsewhere, raised on request
/// (aws-facts §1.9, [`SHARD_QUOTA_DOC`]). `distribute --shards` accepts five times the largest
/// default quota, which keeps the per-shard tables to tens of megabytes.
pub const MAX_SHARDS: u32 = 100_000;
pub const SHARD_QUOTA_DOC: &str =
    "https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html";

/// The largest data blob of a Kinesis record is 10 MiB before base64 (`MaxRecordSizeInKiB` up
/// to 10240, aws-facts §1.8). A sample line holds one record: base64 makes 10 MiB 13.34 MiB,
/// and a `get-records` or envelope line adds a partition key (256 characters) and its JSON
/// fields. 16 MiB leaves room for all of that; a longer line cannot be one record.
pub const MAX_SAMPLE_LINE_BYTES: usize = 16 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_age_accepts_minus_one_and_rejects_short_ages() {
        assert!(MAX_RECORD_AGE.range.contains(-1));
        assert!(!MAX_RECORD_AGE.range.contains(0));
        assert!(!MAX_RECORD_AGE.range.contains(59));
        assert!(MAX_RECORD_AGE.range.contains(60));
        assert!(!MAX_RECORD_AGE.range.contains(604_801));
        assert!(!BATCH_SIZE.range.contains(100_000));
    }
}
