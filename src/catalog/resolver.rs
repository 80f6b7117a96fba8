//! Host name resolution for the catalog client, cached briefly.
//!
//! ureq resolves the host on every call, before it looks for a pooled connection, and when a
//! timeout applies (ours always does) it resolves on a newly spawned OS thread. Without a
//! cache, every catalog call paid for a thread spawn and a lookup (`getaddrinfo`); with it, one
//! lookup per host every [`TTL`].

use std::time::Duration;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use crate::ttl_map::TtlMap;

/// How long an answer is reused: short, so a catalog that moves is found again within a minute.
const TTL: Duration = Duration::from_secs(30);
/// Hosts kept at most: the catalog talks to a handful (catalog, registry, presigned S3 hosts).
const MAX_HOSTS: usize = 64;

/// ureq's own resolver behind a small per-host cache.
#[derive(Debug)]
pub struct CachingResolver {
    inner: DefaultResolver,
    answers: TtlMap<String, ResolvedSocketAddrs>,
}

impl Default for CachingResolver {
    fn default() -> Self {
        CachingResolver {
            inner: DefaultResolver::default(),
            answers: TtlMap::new(MAX_HOSTS, TTL),
        }
    }
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or_default(),
            uri.authority().map(|a| a.as_str()).unwrap_or_default()
        );
        // Synchronous (ureq calls this on a blocking thread), so concurrent misses of one host
        // each resolve: rare, and harmless.
        if let Some(addrs) = self.answers.get(&key) {
            return Ok(addrs);
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        self.answers.insert(key, addrs.clone());
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_once_then_reuses_the_answer() {
        let resolver = CachingResolver::default();
        let config = Config::default();
        let uri: Uri = "http://127.0.0.1:8123/graphql".parse().unwrap();
        let first = resolver
            .resolve(&uri, &config, NextTimeout::default())
            .unwrap();
        assert_eq!(first.first().map(|a| a.port()), Some(8123));
        assert!(
            resolver
                .answers
                .get(&"http://127.0.0.1:8123".into())
                .is_some()
        );
        let second = resolver
            .resolve(&uri, &config, NextTimeout::default())
            .unwrap();
        assert_eq!(format!("{first:?}"), format!("{second:?}"));
    }
}
