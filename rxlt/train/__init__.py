"""The training loop and its methods: objectives (ERM, adversarial, randomized smoothing), augmentation,
synonym sources, data-parallel training."""
