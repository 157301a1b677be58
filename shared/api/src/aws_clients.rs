//! The AWS SDK clients a function builds once per container: DynamoDB and Secrets Manager, on
//! one trimmed TLS stack that trusts Amazon's roots only, with the region and credentials Lambda
//! puts in the environment.

use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};

/// A DynamoDB client for a function: the region and credentials Lambda puts in the environment,
/// or DynamoDB Local at `endpoint` with placeholder credentials when none are set (it accepts
/// any). aws-config's provider chains are left out on purpose: in Lambda they resolve to these
/// very variables, and building them (with the STS client they carry) cost init time and 0.8 MB
/// per binary (docs/performance.md). `checkoutctl` keeps the whole chain for operators' profiles.
pub fn dynamodb_client(endpoint: Option<&str>) -> aws_sdk_dynamodb::Client {
    // DynamoDB answers in milliseconds; DynamoDB Local on a busy laptop can take seconds.
    let (attempt, operation) = match endpoint {
        None => (Duration::from_secs(3), Duration::from_secs(8)),
        Some(_) => (Duration::from_secs(15), Duration::from_secs(40)),
    };
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(attempt)
        .operation_timeout(operation)
        .build();
    let region = env_var("AWS_REGION")
        .or_else(|| env_var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_owned());
    let mut builder = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .retry_config(RetryConfig::standard())
        .timeout_config(timeouts)
        .http_client(amazon_https_client());
    match (env_credentials(), endpoint) {
        (Some(credentials), _) => builder = builder.credentials_provider(credentials),
        (None, Some(_)) => {
            builder = builder
                .credentials_provider(Credentials::new("local", "local", None, None, "local"));
        }
        (None, None) => tracing::error!("no AWS credentials in the environment"),
    }
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws_sdk_dynamodb::Client::from_conf(builder.build())
}

/// A Secrets Manager client for a function, built as [`dynamodb_client`] builds its client: the
/// environment's region and credentials, the same trimmed TLS stack.
pub fn secrets_client() -> aws_sdk_secretsmanager::Client {
    let region = env_var("AWS_REGION")
        .or_else(|| env_var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_owned());
    let timeouts = aws_sdk_secretsmanager::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_timeout(Duration::from_secs(3))
        .build();
    let mut builder = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new(region))
        .timeout_config(timeouts)
        .http_client(amazon_https_client());
    if let Some(credentials) = env_credentials() {
        builder = builder.credentials_provider(credentials);
    }
    aws_sdk_secretsmanager::Client::from_conf(builder.build())
}

/// The credentials Lambda gives the function's role, as the SDK's environment provider reads them.
fn env_credentials() -> Option<Credentials> {
    let key_id = env_var("AWS_ACCESS_KEY_ID")?;
    let secret = env_var("AWS_SECRET_ACCESS_KEY")?;
    Some(Credentials::new(
        key_id,
        secret,
        env_var("AWS_SESSION_TOKEN"),
        None,
        "environment",
    ))
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Amazon Trust Services' roots (Amazon Root CA 1–4 and Starfield Services Root CA G2, the set
/// AWS documents for its endpoints), copied from Debian's ca-certificates.
const AMAZON_TRUST_ROOTS: &[u8] = include_bytes!("../certs/amazon-trust-roots.pem");

/// The SDK's own hyper + rustls (aws-lc) client, trusting Amazon's roots only: reading and parsing
/// the platform's whole store (some 150 certificates) was most of a function's init, and only
/// Amazon's CAs can then vouch for a DynamoDB endpoint.
fn amazon_https_client() -> SharedHttpClient {
    let roots = TrustStore::empty().with_pem_certificate(AMAZON_TRUST_ROOTS);
    let context = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .unwrap_or_default();
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}
