# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.


"""Random names for resources created without one.

``random_name('federation')`` gives e.g. ``'alpha-12-federation'``: a Greek
letter, a number from 1 to 24 and the suffix. Such names are short and
readable, and they satisfy the name rules of clusters, cluster templates
and federations (a letter first, then letters, digits and ``-``). They are
not unique: names never are in Magnum, the UUID identifies a resource.
"""

import random

GREEK_LETTERS = (
    'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta',
    'iota', 'kappa', 'lambda', 'mu', 'nu', 'xi', 'omicron', 'pi', 'rho',
    'sigma', 'tau', 'upsilon', 'phi', 'chi', 'psi', 'omega')

MAX_NUMBER = 24

# Not for secrets: any spread of names will do.
_random = random.SystemRandom()


def random_name(suffix):
    """``<greek letter>-<1..24>-<suffix>``, e.g. ``'omega-3-cluster'``."""
    return '%s-%d-%s' % (_random.choice(GREEK_LETTERS),
                         _random.randint(1, MAX_NUMBER), suffix)
