//! AWS call latency, measured in one place for S3 and Athena alike: an SDK interceptor on each
//! factory's shared configuration times every operation from before serialisation to after
//! the last attempt (retries included) and records it in the metrics registry.

use std::sync::Arc;
use std::time::Instant;

use aws_sdk_s3::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_types::config_bag::{Storable, StoreReplace};

use crate::metrics::{AwsService, Metrics};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// When this operation started, kept in its own config bag.
#[derive(Clone, Debug)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

/// Records each operation's duration for `service`.
#[derive(Debug)]
pub struct Latency {
    pub service: AwsService,
    pub metrics: Arc<Metrics>,
}

impl Intercept for Latency {
    fn name(&self) -> &'static str {
        "quilt-mcp-latency"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Started(at)) = cfg.load::<Started>() {
            self.metrics.aws_call(self.service, at.elapsed());
        }
        Ok(())
    }
}
