use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    town311::telemetry::init();
    let config = town311::config::Config::from_env()?;
    let sdk = town311::aws::function_sdk_config(photo::lambda::TIMEOUT)?;
    let state = photo::lambda::State::from_aws(&config, &sdk);
    run(service_fn(|event| photo::lambda::handle(&state, event))).await
}
