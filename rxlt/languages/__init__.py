"""Language metadata, resource covariates and tier schemes: who counts as low-, mid- or high-resource."""
