//! Host name resolution for the catalog client, cached briefly.
//!
//! ureq resolves the host on every call, before it looks for a pooled connection, and when a
//! timeout applies (ours always does) it resolves on a newly spawned OS thread. Without a
//! cache, every catalog call paid for a thread spawn and a lookup (`getaddrinfo`); with it, one
//! lookup per host every [`TTL`].

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long an answer is reused: short, so a catalog that moves is found again within a minute.
const TTL: Duration = Duration::from_secs(30);

/// ureq's own resolver behind a small per-host cache.
#[derive(Debug, Default)]
pub struct CachingResolver {
    inner: DefaultResolver,
    answers: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl CachingResolver {
    fn cached(&self, key: &str) -> Option<ResolvedSocketAddrs> {
        // A panic elsewhere while holding the lock leaves a whole map behind; keep using it.
        let answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        answers
            .get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, addrs)| addrs.clone())
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
        if let Some(addrs) = self.cached(&key) {
            return Ok(addrs);
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        // Dropping stale answers here keeps the map as small as the set of hosts in use.
        answers.retain(|_, (at, _)| at.elapsed() < TTL);
        answers.insert(key, (Instant::now(), addrs.clone()));
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
        assert!(resolver.cached("http://127.0.0.1:8123").is_some());
        let second = resolver
            .resolve(&uri, &config, NextTimeout::default())
            .unwrap();
        assert_eq!(format!("{first:?}"), format!("{second:?}"));
    }
}
