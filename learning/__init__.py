"""Pioneer Learning core: app factory, org tree, accounts, scope, policy and the learning-record spine."""
