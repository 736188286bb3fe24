//! Layout placeholder
