#!/bin/bash
# DevStack plugin entry point for Magnum: stack.sh, unstack.sh and
# clean.sh call it with the phase they are in.

# shellcheck source=devstack/lib/magnum
source "$MAGNUM_DIR/devstack/lib/magnum"

if is_service_enabled magnum-api magnum-cond; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing Magnum and python-magnumclient"
        install_magnumclient
        install_magnum
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring Magnum"
        configure_magnum
        configure_magnum_drivers
        if is_service_enabled key; then
            create_magnum_accounts
            if magnum_driver_enabled local_swarm; then
                configure_magnum_local_projects
            fi
        fi
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Initializing and starting Magnum"
        init_magnum
        prepare_magnum_drivers
        start_magnum
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        if is_service_enabled tempest; then
            configure_magnum_tempest
        fi
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_magnum
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_magnum
    fi
fi
