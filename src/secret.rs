//! The JWT secret's source: `MCP_JWT_SECRET`, or an SSM parameter kept fresh in the background.
//!
//! With `MCP_JWT_SECRET_SSM_PARAMETER` the parameter is read once at start, with decryption and
//! the default AWS credential chain (on Fargate: the task role, through the container
//! credentials endpoint). Any failure there stops the server with one line. A background task
//! then reads it again every `MCP_JWT_SECRET_REFRESH_SECONDS`: a new value becomes the
//! verifier's current secret and the one before stays valid (one rotation of grace); a failed
//! read keeps the last good secret and logs a warning.
//!
//! A token that matches neither secret may mean the catalog rotated before our next read. The
//! auth layer then asks [`RefreshSignal::request`] for an early read. At most one is forced per
//! interval, so a flood of forged tokens costs one SSM call; the requests that asked (and any
//! arriving while that read runs) wait for it, at most 10 s, and are verified once more. Other
//! requests never wait: the read runs in the background task and the verifier's lock is held
//! only to swap keys.

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ssm::config::ProvideCredentials;
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ssm::operation::get_parameter::GetParameterError;
use tokio::time::{Instant, MissedTickBehavior};

use crate::auth::{JwtVerifier, RefreshSignal};
use crate::config::{Config, JwtSecretSource, Secret};

/// The longest a request waits for a read forced by its signature failure.
const MAX_WAIT_FOR_READ: Duration = Duration::from_secs(10);

/// The secret to start with and, when it came from SSM, the reader that keeps it fresh.
pub struct StartupSecret {
    /// The secret the verifier starts with.
    pub secret: Secret,
    ssm: Option<SsmParameter>,
}

/// Resolves the configured secret. For SSM this reads the parameter once; the error is the
/// one line to print before exiting.
pub async fn resolve(config: &Config) -> Result<StartupSecret, String> {
    let (parameter, region) = match &config.jwt_secret {
        JwtSecretSource::Env(secret) => {
            return Ok(StartupSecret {
                secret: secret.clone(),
                ssm: None,
            });
        }
        JwtSecretSource::Ssm { parameter, region } => (parameter, region),
    };
    let fail = |why: String| {
        format!(
            "Invalid configuration: cannot read MCP_JWT_SECRET_SSM_PARAMETER {parameter:?} from SSM in {region}: {why}"
        )
    };
    let reader = SsmParameter::new(parameter, region, config.service_timeout)
        .await
        .map_err(fail)?;
    let (secret, version) = reader.read().await.map_err(fail)?;
    tracing::info!(
        parameter = %parameter,
        region = %region,
        version,
        refresh_s = config.jwt_secret_refresh.as_secs(),
        "JWT secret read from SSM parameter {parameter} (version {version})"
    );
    Ok(StartupSecret {
        secret,
        ssm: Some(reader),
    })
}

impl StartupSecret {
    /// For an SSM secret: lets `verifier` force early reads and spawns the refresh task, which
    /// runs until the runtime stops. Does nothing for `MCP_JWT_SECRET`.
    pub fn keep_fresh(self, verifier: &Arc<JwtVerifier>, interval: Duration) {
        let Some(reader) = self.ssm else {
            return;
        };
        // A request waiting for a forced read gives up after this (and is refused) even if
        // SSM is slow to answer; the read itself goes on, bounded by its own timeout.
        let max_wait = reader.timeout.min(MAX_WAIT_FOR_READ);
        let signal = Arc::new(RefreshSignal::new(interval, max_wait));
        verifier.attach_refresh(Arc::clone(&signal));
        tokio::spawn(refresh_loop(
            reader,
            self.secret,
            Arc::clone(verifier),
            signal,
        ));
    }
}

/// Reads one SSM parameter.
struct SsmParameter {
    client: aws_sdk_ssm::Client,
    name: String,
    timeout: Duration,
}

impl SsmParameter {
    /// A client with the default credential chain and endpoint resolution, so that
    /// `AWS_ENDPOINT_URL_SSM` (or `AWS_ENDPOINT_URL`) is honoured, and an operation timeout:
    /// the SDK has none by default and a silent endpoint would hang the call. Credentials are
    /// resolved once here so that their absence gets its own message.
    async fn new(name: &str, region: &str, timeout: Duration) -> Result<SsmParameter, String> {
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .timeout_config(TimeoutConfig::builder().operation_timeout(timeout).build())
            .load()
            .await;
        let provider = shared
            .credentials_provider()
            .ok_or("no AWS credentials provider is configured")?;
        let hint = "on ECS they come from the task role: check the task definition's taskRoleArn";
        match tokio::time::timeout(timeout, provider.provide_credentials()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("no AWS credentials ({}); {hint}", chain(&e))),
            Err(_) => {
                let waited = timeout.as_secs();
                return Err(format!("no AWS credentials within {waited} s; {hint}"));
            }
        }
        Ok(SsmParameter {
            client: aws_sdk_ssm::Client::new(&shared),
            name: name.to_string(),
            timeout,
        })
    }

    /// The decrypted value and its version.
    async fn read(&self) -> Result<(Secret, i64), String> {
        let output = self
            .client
            .get_parameter()
            .name(&self.name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| describe(&e, self.timeout))?;
        let parameter = output.parameter.ok_or("SSM answered without a parameter")?;
        match parameter.value {
            Some(value) if !value.is_empty() => Ok((Secret::new(value), parameter.version)),
            _ => Err("the parameter's value is empty".into()),
        }
    }
}

/// One line saying what went wrong and what usually fixes it; never contains the value.
fn describe(error: &SdkError<GetParameterError>, timeout: Duration) -> String {
    match error {
        SdkError::ServiceError(service) => match service.err() {
            GetParameterError::ParameterNotFound(_) => {
                "the parameter does not exist (check its name and the region)".to_string()
            }
            err if err.code() == Some("AccessDeniedException") => format!(
                "access denied ({}); the task role needs ssm:GetParameter on this parameter, and kms:Decrypt on its key if that is a customer managed key",
                err.message().unwrap_or("no message")
            ),
            err => format!(
                "SSM answered {} ({})",
                err.code().unwrap_or("an unnamed error"),
                err.message().unwrap_or("no message")
            ),
        },
        SdkError::TimeoutError(_) => format!(
            "SSM did not answer within {} s (QUILT_SERVICE_TIMEOUT); check the task's outbound access to the SSM endpoint",
            timeout.as_secs()
        ),
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => format!(
            "cannot reach SSM ({}); the task needs outbound HTTPS to the regional SSM endpoint or a VPC endpoint",
            chain(error)
        ),
        other => format!("the request failed ({})", chain(other)),
    }
}

/// An error and its sources as one line (the SDK's errors nest several deep).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        let part = next.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = next.source();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads the parameter every interval and whenever a read is forced; rotates on a change.
async fn refresh_loop(
    reader: SsmParameter,
    mut current: Secret,
    verifier: Arc<JwtVerifier>,
    signal: Arc<RefreshSignal>,
) {
    let interval = signal.interval();
    let mut ticker = tokio::time::interval_at(Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let forced = tokio::select! {
            _ = ticker.tick() => false,
            () = signal.forced() => true,
        };
        match reader.read().await {
            Ok((secret, version)) if secret != current => {
                verifier.rotate(&secret);
                current = secret;
                tracing::info!(
                    parameter = %reader.name,
                    version,
                    forced,
                    "JWT secret rotated from SSM (version {version}); tokens signed with the previous secret stay valid until the next rotation"
                );
            }
            Ok((_, version)) => {
                tracing::debug!(parameter = %reader.name, version, forced, "JWT secret unchanged")
            }
            Err(why) => tracing::warn!(
                parameter = %reader.name,
                forced,
                "JWT secret refresh from SSM failed; keeping the last good secret: {why}"
            ),
        }
        if forced {
            signal.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_forced_read_per_interval_and_waiters_are_released() {
        let signal = Arc::new(RefreshSignal::new(
            Duration::from_secs(60),
            Duration::from_secs(5),
        ));
        let first = signal.request().expect("the first failure forces a read");
        // While that read runs, later failures wait for the same read.
        let second = signal.request().expect("joins the running read");
        signal.finish();
        first.await;
        second.await;
        // Within the interval no further read is forced.
        assert!(signal.request().is_none());
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(
            signal.request().is_some(),
            "a new interval allows one again"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_gives_up_when_no_read_finishes() {
        let signal = RefreshSignal::new(Duration::from_secs(60), Duration::from_secs(5));
        let waiting = signal.request().expect("forced");
        let started = Instant::now();
        waiting.await;
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }
}
