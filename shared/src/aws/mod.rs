//! The AWS adapters of the ports: DynamoDB for tickets and the catalog, S3 for photos, SNS for
//! ticket events and SMS, SES for email. The only module that imports AWS crates.

pub mod dynamo;
pub mod messages;
pub mod presigned_post;
pub mod s3;
pub mod sns;
pub mod sqs;

pub use dynamo::{DynamoTable, TableItem};
pub use messages::AwsMessenger;
pub use s3::S3Photos;
pub use sns::SnsEvents;
pub use sqs::SqsDeadLetters;

/// The SDK configuration the adapters are built from.
pub use aws_config::SdkConfig;

/// Loads the AWS SDK configuration from the environment (Lambda's role and region; locally,
/// `AWS_ENDPOINT_URL` points every client at the emulator). Done once per cold start.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await
}
