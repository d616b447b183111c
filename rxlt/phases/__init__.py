"""One module per phase notebook (01_intermediate … 05_report), plus what the training and evaluation
phases share."""
