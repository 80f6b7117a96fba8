//! Revocation: what the registry's refusal of a caller's token (HTTP 401 on any call) drops
//! beyond the catalog client's own caches. The state above this module keeps per-caller
//! caches too (resource reads, admin status); it hands a hook to the client once at start,
//! since the client cannot name them without an import circle.

use std::fmt;
use std::sync::OnceLock;

use crate::catalog::cache::CallerKey;

type Hook = Box<dyn Fn(CallerKey) + Send + Sync>;

/// The hook run on each refusal, if set.
#[derive(Default)]
pub struct RefusalHook(OnceLock<Hook>);

impl fmt::Debug for RefusalHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefusalHook")
            .field("set", &self.0.get().is_some())
            .finish()
    }
}

impl RefusalHook {
    /// Sets the hook; a second call is ignored (the state sets it once).
    pub fn set(&self, hook: impl Fn(CallerKey) + Send + Sync + 'static) {
        let _ = self.0.set(Box::new(hook));
    }

    /// Runs the hook for `caller`, if set.
    pub fn run(&self, caller: CallerKey) {
        if let Some(hook) = self.0.get() {
            hook(caller);
        }
    }
}
