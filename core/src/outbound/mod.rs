pub mod chunk;
pub mod rate_limit;

pub use chunk::split_message;
pub use rate_limit::RateLimiter;
