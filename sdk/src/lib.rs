//! The stable C ABI for native local plugins (see the local-plugins issue).
