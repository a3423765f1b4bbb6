use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    town311::telemetry::init();
    let config = town311::config::Config::from_env()?;
    let sdk = town311::aws::function_sdk_config(notify::TIMEOUT)?;
    let state = notify::State::from_aws(config, &sdk);
    // The catalog load it started connects to DynamoDB now, while the first event is fetched.
    tokio::task::yield_now().await;
    run(service_fn(|event| notify::handle(&state, event))).await
}
