use lambda_http::{Error, run, service_fn};

/// The time the function has for one event: its `Timeout` in template.yaml. Every AWS call is
/// bounded within it.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    town311::telemetry::init();
    let config = town311::config::Config::from_env()?;
    let sdk = town311::aws::function_sdk_config(TIMEOUT)?;
    let state = submit::State::from_aws(config, &sdk);
    // The catalog load it started connects to DynamoDB now, while the first event is fetched.
    tokio::task::yield_now().await;
    run(service_fn(|request| submit::handle(&state, request))).await
}
