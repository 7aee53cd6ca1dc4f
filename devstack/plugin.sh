#!/bin/bash
# DevStack plugin entry point for Magnum.
source "$DEST/magnum/devstack/lib/magnum"

if is_service_enabled magnum-api magnum-cond; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        install_magnum
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        configure_magnum
        is_service_enabled key && create_magnum_accounts
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        init_magnum
        start_magnum
    fi
    if [[ "$1" == "unstack" ]]; then
        stop_magnum
    fi
fi
