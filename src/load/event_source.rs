//! What an event source mapping's source is, as each format names it: resource types
//! (Terraform, CloudFormation), SAM/Serverless event types and the settings that exist for one
//! kind of source only. Loaders call these; the model decides from the ARN first.

use crate::model::EventSourceType as T;

/// The source kind of a referenced resource (`aws_sqs_queue`, `AWS::MSK::Cluster`, ...).
pub fn of_resource_type(ty: &str) -> Option<T> {
    Some(match ty {
        "aws_kinesis_stream"
        | "aws_kinesis_stream_consumer"
        | "AWS::Kinesis::Stream"
        | "AWS::Kinesis::StreamConsumer" => T::Kinesis,
        "aws_dynamodb_table" | "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => {
            T::DynamoDbStreams
        }
        "aws_sqs_queue" | "AWS::SQS::Queue" => T::Sqs,
        "aws_msk_cluster"
        | "aws_msk_serverless_cluster"
        | "AWS::MSK::Cluster"
        | "AWS::MSK::ServerlessCluster" => T::Msk,
        "aws_mq_broker" | "AWS::AmazonMQ::Broker" => T::Mq,
        "aws_docdb_cluster" | "AWS::DocDB::DBCluster" => T::DocumentDb,
        _ => return None,
    })
}

/// The source kind of a SAM (`Type: SQS`) or Serverless Framework (`sqs:`) event.
pub fn of_event_type(ty: &str) -> Option<T> {
    Some(match ty {
        "Kinesis" | "stream" => T::Kinesis,
        "DynamoDB" => T::DynamoDbStreams,
        "SQS" | "sqs" => T::Sqs,
        "MSK" | "msk" => T::Msk,
        "SelfManagedKafka" | "kafka" => T::SelfManagedKafka,
        "MQ" | "activemq" | "rabbitmq" => T::Mq,
        "DocumentDB" => T::DocumentDb,
        _ => return None,
    })
}

/// A setting that exists for one kind of source only (Terraform block or CloudFormation
/// property name): `self_managed_event_source` means self-managed Kafka, and so on.
pub fn of_setting(name: &str) -> Option<T> {
    Some(match name {
        "self_managed_event_source"
        | "self_managed_kafka_event_source_config"
        | "SelfManagedEventSource"
        | "SelfManagedKafkaEventSourceConfig" => T::SelfManagedKafka,
        "amazon_managed_kafka_event_source_config" | "AmazonManagedKafkaEventSourceConfig" => {
            T::Msk
        }
        "document_db_event_source_config" | "DocumentDBEventSourceConfig" => T::DocumentDb,
        "queues" | "Queues" => T::Mq,
        _ => return None,
    })
}

/// Settings whose presence names the source kind, in the order to try.
pub const KIND_SETTINGS_TF: [&str; 5] = [
    "self_managed_event_source",
    "self_managed_kafka_event_source_config",
    "amazon_managed_kafka_event_source_config",
    "document_db_event_source_config",
    "queues",
];
pub const KIND_SETTINGS_CFN: [&str; 5] = [
    "SelfManagedEventSource",
    "SelfManagedKafkaEventSourceConfig",
    "AmazonManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
    "Queues",
];
