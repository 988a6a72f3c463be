//! Tests of the module's public interface: parsing with exact byte ranges, classification,
//! evaluation on the seed payload, and field listing.

use super::*;
