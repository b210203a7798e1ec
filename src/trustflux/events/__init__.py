"""Input data: model, validation, ingestion and the synthetic world."""
