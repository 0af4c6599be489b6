"""Random TF-Slim programs in slimc's language, in the spirit of Csmith.

generate(seed) returns the text of one small `.slim` program: nested variable and name
scopes (string, default-named, re-entered scope objects, reuse=True / AUTO_REUSE /
reuse_variables()), get_variable / Variable / model_variable / variable / local_variable,
nested and stored arg_scopes, repeat and stack, every slim layer slimc implements with
random legal arguments (and, in some programs, one illegal one), random conv and pool
geometries, batch_norm variants, EMA with variables_to_restore and restore(...).
Tensors are tiny (spatial sizes 1..9, channels 1..5) so that a batch runs fast.

The generator tracks shapes itself only to keep most programs legal; it does not decide
what the program means: both slimc and TF run it and the oracle compares what they say.
"""

import random

ACTS = ['None', 'tf.nn.relu', 'tf.nn.relu6', 'tf.nn.tanh', 'tf.nn.sigmoid', 'tf.nn.elu']
INITS = ['tf.zeros_initializer()', 'tf.ones_initializer()', 'tf.constant_initializer(0.5)',
         'tf.truncated_normal_initializer(stddev=0.1)', 'tf.random_normal_initializer()',
         'tf.random_uniform_initializer(-0.5, 0.5)', 'slim.xavier_initializer()',
         'slim.variance_scaling_initializer()', 'tf.glorot_uniform_initializer()']
REGS = ['slim.l2_regularizer(0.01)', 'slim.l1_regularizer(0.02)', 'slim.l1_l2_regularizer(0.01, 0.02)']
# ops that may be listed in arg_scope, and the keywords each may receive from one
CONV_LIKE = ['slim.conv2d', 'slim.separable_conv2d', 'slim.conv2d_transpose', 'slim.conv2d_in_plane']
SCOPE_KEYS = {
    'slim.conv2d': ['padding', 'stride', 'activation_fn', 'weights_regularizer', 'weights_initializer',
                    'biases_initializer', 'normalizer_fn', 'trainable', 'outputs_collections', 'rate'],
    'slim.separable_conv2d': ['padding', 'stride', 'activation_fn', 'weights_regularizer',
                              'weights_initializer', 'normalizer_fn', 'trainable', 'depth_multiplier'],
    'slim.conv2d_transpose': ['padding', 'stride', 'activation_fn', 'weights_regularizer', 'normalizer_fn'],
    'slim.conv2d_in_plane': ['padding', 'stride', 'activation_fn', 'weights_regularizer'],
    'slim.fully_connected': ['activation_fn', 'weights_regularizer', 'biases_initializer', 'normalizer_fn',
                             'trainable', 'outputs_collections', 'biases_regularizer'],
    'slim.batch_norm': ['is_training', 'scale', 'center', 'epsilon', 'decay', 'fused', 'activation_fn'],
    'slim.max_pool2d': ['padding', 'stride', 'outputs_collections'],
    'slim.avg_pool2d': ['padding', 'stride'],
    'slim.bias_add': ['activation_fn', 'trainable'],
    'slim.dropout': ['keep_prob', 'is_training'],
    'slim.model_variable': ['initializer', 'trainable', 'regularizer'],
    'slim.variable': ['initializer', 'trainable'],
}


class _Scope:
    """What the generator knows about an enclosing `with` block."""

    def __init__(self, kind, reuse=False):
        self.kind = kind
        self.reuse = reuse


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.lines = []
        self.ind = 0
        self.n = 0                  # fresh-name counter
        self.shape = None           # shape of `net`
        self.argstack = [{}]        # generator's model of the active arg_scope: op -> {key: code}
        self.scopes = []
        self.bad = False            # one deliberate error per program at most
        self.want_bad = False
        self.probes = 0
        self.defs = []              # text of helper defs (emitted before the model)
        self.vars_made = []         # python names of variables in scope of the model body
        self.ema_list = False

    # ---- output helpers ----
    def emit(self, s):
        self.lines.append('    ' * self.ind + s)

    def fresh(self, base):
        self.n += 1
        return '%s%d' % (base, self.n)

    def chance(self, p):
        return self.r.random() < p

    def pick(self, xs):
        return self.r.choice(xs)

    # ---- the arg_scope model ----
    def dflt(self, op, key, default):
        return self.argstack[-1].get(op, {}).get(key, default)

    def reusing(self):
        return any(s.reuse for s in self.scopes)

    # ---- illegal arguments ----
    def maybe_bad(self):
        """True once per program that asked for an error, at a random call."""
        if self.want_bad and not self.bad and self.chance(0.25):
            self.bad = True
            return True
        return False

    # ---- geometry ----
    @staticmethod
    def conv_out(n, k, s, pad, rate=1):
        ke = k + (k - 1) * (rate - 1)
        if pad == 'SAME':
            return -(-n // s)
        return -(-(n - ke + 1) // s)

    def kernel(self, maxk=3):
        if self.chance(0.6):
            k = self.r.randint(1, maxk)
            return k, (str(k) if self.chance(0.3) else '[%d, %d]' % (k, k))
        k1, k2 = self.r.randint(1, maxk), self.r.randint(1, maxk)
        return (k1, k2), '[%d, %d]' % (k1, k2)

    @staticmethod
    def pair(v):
        return v if isinstance(v, tuple) else (v, v)

    # ---- layer calls (rank-4 net) ----
    def common_layer_kwargs(self, op, kw, has_bias=True):
        if self.chance(0.35):
            kw['activation_fn'] = self.pick(ACTS)
        if self.chance(0.15):
            kw['weights_initializer'] = self.pick(INITS)
        if self.chance(0.2):
            kw['weights_regularizer'] = self.pick(REGS)
        if has_bias and self.chance(0.15):
            kw['biases_initializer'] = self.pick(['None', 'tf.zeros_initializer()', 'tf.constant_initializer(0.1)'])
        if has_bias and self.chance(0.1):
            kw['biases_regularizer'] = self.pick(REGS)
        if self.chance(0.15):
            kw['normalizer_fn'] = 'slim.batch_norm'
            if self.chance(0.5):
                kw['normalizer_params'] = self.bn_params_dict()
        if self.chance(0.1):
            kw['trainable'] = 'False'
        if self.chance(0.1):
            kw['variables_collections'] = self.pick(["['extra']", "{'weights': ['wcol']}", "['extra', 'more']"])
        if self.chance(0.1):
            kw['outputs_collections'] = self.pick(["'outs'", "['outs', 'outs2']"])

    def bn_params_dict(self):
        items = []
        if self.chance(0.5):
            items.append("'is_training': %s" % self.pick(['False', 'False', 'True']))
        if self.chance(0.5):
            items.append("'scale': %s" % self.pick(['True', 'False']))
        if self.chance(0.3):
            items.append("'center': %s" % self.pick(['True', 'False']))
        if self.chance(0.3):
            items.append("'epsilon': %s" % self.pick(['0.001', '1e-5', '0.1']))
        if self.chance(0.2):
            items.append("'updates_collections': None")
        return '{%s}' % ', '.join(items)

    def scope_kw(self, kw, default_ok=True):
        if self.chance(0.6) or not default_ok:
            kw['scope'] = repr(self.fresh(self.pick(['conv', 'layer', 'b', 'Conv', 'fc', 'x'])))

    def call(self, fn, args, kw):
        parts = list(args) + ['%s=%s' % (k, v) for k, v in kw.items()]
        return '%s(%s)' % (fn, ', '.join(parts))

    def probe(self, name='net'):
        if self.chance(0.3):
            self.emit("tf.add_to_collection('probe', %s)" % name)

    def layer4(self):
        """One layer applied to the rank-4 `net`; updates self.shape."""
        N, H, W, C = self.shape
        choice = self.r.choices(
            ['conv', 'sep', 'convt', 'inplane', 'pool', 'bn', 'bias', 'dropout', 'act', 'var', 'unit', 'concat',
             'nnconv', 'repeat', 'stack'],
            weights=[14, 6, 4, 3, 8, 7, 3, 2, 4, 6, 1, 3, 3, 4, 3])[0]
        getattr(self, 'l_' + choice)()

    def geometry(self, op, kw, maxk=3, allow_rate=True):
        N, H, W, C = self.shape
        k, ktext = self.kernel(maxk)
        # TF's CPU depthwise kernel takes only equal strides (an error when the session runs)
        square = op in ('slim.separable_conv2d', 'slim.conv2d_in_plane')
        pad = self.dflt(op, 'padding', "'SAME'" if op != 'pool' else "'VALID'")
        if self.chance(0.5):
            pad = self.pick(["'SAME'", "'VALID'"])
            kw['padding'] = pad
        s = self.dflt(op, 'stride', None)
        if self.chance(0.4):
            s = self.pick(['1', '2', '2', '3'] + ([] if square else ['[1, 2]', '[2, 1]']))
            kw['stride'] = s
        rate = '1'
        if allow_rate and self.chance(0.2):
            rate = self.pick(['2', '2', '3'])
            kw['rate'] = rate
            if 'stride' in kw or s not in (None, '1'):
                kw['stride'] = '1'
                s = '1'
        kp = self.pair(k)
        sv = eval(s) if s is not None else (2 if op == 'pool' else 1)
        sp = tuple(sv) if isinstance(sv, list) else (sv, sv)
        r = int(rate)
        padv = eval(pad)
        return k, ktext, kp, sp, r, padv

    def shrink_ok(self, H, W, kp, sp, r, padv):
        oh = self.conv_out(H, kp[0], sp[0], padv, r)
        ow = self.conv_out(W, kp[1], sp[1], padv, r)
        return oh, ow

    def fix_valid(self, kw, H, W, kp, sp, r, padv):
        oh, ow = self.shrink_ok(H, W, kp, sp, r, padv)
        # (an input smaller than the window is an error whose text is slimc's own by the
        # spec: '<op>: Negative dimension size ...'; not generated)
        if oh < 1 or ow < 1:
            kw['padding'] = "'SAME'"
            oh, ow = self.shrink_ok(H, W, kp, sp, r, 'SAME')
        return oh, ow

    def l_conv(self):
        N, H, W, C = self.shape
        op = 'slim.conv2d'
        kw = {}
        k, ktext, kp, sp, r, padv = self.geometry(op, kw)
        oh, ow = self.fix_valid(kw, H, W, kp, sp, r, padv)
        cout = self.r.randint(1, 5)
        self.common_layer_kwargs(op, kw)
        self.scope_kw(kw)
        if self.maybe_bad():
            self.bad_kw(kw, ['strides', 'kernel', 'num_output', 'paddings'])
        fn = self.pick(['slim.conv2d', 'slim.conv2d', 'slim.convolution2d', 'tf.contrib.slim.conv2d'])
        self.emit('net = ' + self.call(fn, ['net', str(cout), ktext], kw))
        self.shape = (N, oh, ow, cout)
        self.probe()

    def bad_kw(self, kw, names):
        kw[self.pick(names)] = '1'

    def l_sep(self):
        N, H, W, C = self.shape
        op = 'slim.separable_conv2d'
        kw = {}
        k, ktext, kp, sp, r, padv = self.geometry(op, kw)
        oh, ow = self.fix_valid(kw, H, W, kp, sp, r, padv)
        dm = self.dflt(op, 'depth_multiplier', '1')
        if self.chance(0.4):
            dm = self.pick(['1', '2'])
            kw['depth_multiplier'] = dm
        nout = self.pick(['None', 'None', str(self.r.randint(1, 4))])
        self.common_layer_kwargs(op, kw)
        if self.chance(0.2):
            kw['pointwise_initializer'] = self.pick(INITS)
        self.scope_kw(kw)
        cout = C * int(dm) if nout == 'None' else int(nout)
        self.emit('net = ' + self.call(self.pick([op, 'slim.separable_convolution2d']), ['net', nout, ktext], kw))
        self.shape = (N, oh, ow, cout)
        self.probe()

    def l_convt(self):
        N, H, W, C = self.shape
        op = 'slim.conv2d_transpose'
        kw = {}
        k, ktext = self.kernel(3)
        kp = self.pair(k)
        pad = self.dflt(op, 'padding', "'SAME'")
        if self.chance(0.5):
            pad = self.pick(["'SAME'", "'VALID'"])
            kw['padding'] = pad
        s = self.dflt(op, 'stride', '1')
        if self.chance(0.5) or H * W > 16:
            s = self.pick(['1', '2']) if H * W <= 16 else '1'
            kw['stride'] = s
        sv = eval(s)
        sp = tuple(sv) if isinstance(sv, list) else (sv, sv)
        if eval(pad) == 'SAME':
            oh, ow = H * sp[0], W * sp[1]
        else:
            oh, ow = H * sp[0] + max(kp[0] - sp[0], 0), W * sp[1] + max(kp[1] - sp[1], 0)
        if oh > 12 or ow > 12:
            kw['stride'] = '1'
            sp = (1, 1)
            if eval(pad) == 'SAME':
                oh, ow = H, W
            else:
                oh, ow = H + max(kp[0] - 1, 0), W + max(kp[1] - 1, 0)
        cout = self.r.randint(1, 4)
        self.common_layer_kwargs(op, kw)
        self.scope_kw(kw)
        self.emit('net = ' + self.call(self.pick([op, 'slim.convolution2d_transpose']), ['net', str(cout), ktext], kw))
        self.shape = (N, oh, ow, cout)
        self.probe()

    def l_inplane(self):
        N, H, W, C = self.shape
        op = 'slim.conv2d_in_plane'
        kw = {}
        k, ktext, kp, sp, r, padv = self.geometry(op, kw, allow_rate=False)
        oh, ow = self.fix_valid(kw, H, W, kp, sp, r, padv)
        self.common_layer_kwargs(op, kw)
        kw.pop('variables_collections', None)
        kw.pop('outputs_collections', None)
        self.scope_kw(kw)
        self.emit('net = ' + self.call(op, ['net', ktext], kw))
        self.shape = (N, oh, ow, C)
        self.probe()

    def l_pool(self):
        N, H, W, C = self.shape
        fn = self.pick(['slim.max_pool2d', 'slim.avg_pool2d'])
        kw = {}
        k, ktext = self.kernel(3)
        kp = self.pair(k)
        pad = self.dflt(fn, 'padding', "'VALID'")
        if self.chance(0.5):
            pad = self.pick(["'SAME'", "'VALID'"])
            kw['padding'] = pad
        s = self.dflt(fn, 'stride', '2')
        if self.chance(0.5):
            s = self.pick(['1', '2', '3', '[1, 2]'])
            kw['stride'] = s
        sv = eval(s)
        sp = tuple(sv) if isinstance(sv, list) else (sv, sv)
        oh, ow = self.fix_valid(kw, H, W, kp, sp, 1, eval(pad))
        if self.chance(0.4):
            kw['scope'] = repr(self.fresh('pool'))
        if self.chance(0.1):
            kw['outputs_collections'] = "'outs'"
        self.emit('net = ' + self.call(fn, ['net', ktext], kw))
        self.shape = (N, oh, ow, C)
        self.probe()

    def bn_kwargs(self, kw):
        if self.chance(0.7):
            kw['is_training'] = self.pick(['False', 'False', 'True'])
        for key, vals, p in [('scale', ['True', 'False'], 0.5), ('center', ['True', 'False'], 0.3),
                             ('epsilon', ['0.001', '1e-5', '0.01'], 0.3), ('decay', ['0.9', '0.99'], 0.2),
                             ('fused', ['None', 'True', 'False'], 0.3),
                             ('updates_collections', ['None', "tf.GraphKeys.UPDATE_OPS", "'my_updates'"], 0.2),
                             ('zero_debias_moving_mean', ['True', 'False'], 0.1),
                             ('activation_fn', ACTS, 0.2), ('trainable', ['False'], 0.1),
                             ('param_initializers', ["{'beta': tf.constant_initializer(0.2)}",
                                                     "{'gamma': tf.constant_initializer(2.0), "
                                                     "'moving_variance': tf.constant_initializer(0.5)}"], 0.15),
                             ('param_regularizers', ["{'beta': slim.l2_regularizer(0.1)}",
                                                     "{'gamma': slim.l1_regularizer(0.1)}"], 0.1),
                             ('variables_collections', ["['bnvars']", "{'moving_mean': ['mm']}"], 0.1)]:
            if self.chance(p):
                kw[key] = self.pick(vals)

    def l_bn(self):
        kw = {}
        self.bn_kwargs(kw)
        self.scope_kw(kw)
        self.emit('net = ' + self.call('slim.batch_norm', ['net'], kw))
        self.probe()

    def l_bias(self):
        kw = {}
        if self.chance(0.3):
            kw['activation_fn'] = self.pick(ACTS)
        if self.chance(0.3):
            kw['initializer'] = self.pick(INITS[:4])
        if self.chance(0.2):
            kw['regularizer'] = self.pick(REGS)
        self.scope_kw(kw)
        self.emit('net = ' + self.call('slim.bias_add', ['net'], kw))
        self.probe()

    def l_dropout(self):
        # in training, only keep_prob=1 is deterministic
        kw = {'is_training': 'False'} if self.chance(0.8) else {'keep_prob': '1.0'}
        if 'is_training' in kw and self.chance(0.5):
            kw['keep_prob'] = self.pick(['0.5', '0.8', '1.0'])
        if self.chance(0.3):
            kw['scope'] = repr(self.fresh('drop'))
        self.emit('net = ' + self.call('slim.dropout', ['net'], kw))
        self.probe()

    def l_act(self):
        act = self.pick(ACTS[1:] + ['tf.abs', 'tf.square'])
        if self.chance(0.4):
            self.emit("net = %s(net, name=%r)" % (act, self.fresh('act')))
        else:
            self.emit('net = %s(net)' % act)
        self.probe()

    def l_unit(self):
        N, H, W, C = self.shape
        dim = self.r.randint(1, 3)
        if self.maybe_bad():
            dim = 4
        self.emit('net = slim.unit_norm(net, %d)' % dim)
        self.probe()

    def l_var(self):
        """A variable of [C] made by one of the five constructors, used on net."""
        N, H, W, C = self.shape
        name = self.fresh('v')
        ctor = self.pick(['get_variable', 'get_variable', 'Variable', 'model_variable', 'variable'])
        init = self.pick(INITS[:4] + ['tf.random_uniform_initializer(0.5, 1.5)'])
        extra = ''
        if self.chance(0.2):
            extra += ', trainable=False'
        if ctor == 'Variable':
            val = self.pick(['tf.ones([%d])' % C, 'tf.zeros([%d])' % C, 'tf.constant([%s])' %
                             ', '.join('%.1f' % (0.5 + i) for i in range(C))])
            if self.chance(0.2):
                extra += ", collections=[tf.GraphKeys.GLOBAL_VARIABLES, 'mine']"
            self.emit("%s = tf.Variable(%s, name=%r%s)" % (name, val, self.pick([name, 'w', 'v']), extra))
        else:
            if self.chance(0.2):
                extra += ', regularizer=%s' % self.pick(REGS)
            if ctor != 'model_variable' and self.chance(0.15):
                extra += ", collections=[tf.GraphKeys.GLOBAL_VARIABLES, 'mine']"
            shape = '[%d]' % C   # (a broadcast mismatch is a shape error: slimc's own text by the spec)
            fn = {'get_variable': 'tf.get_variable', 'model_variable': 'slim.model_variable',
                  'variable': 'slim.variable'}[ctor]
            vname = self.pick([name, 'w', 'v', 'weights'])
            if ctor == 'get_variable' and self.chance(0.5):
                self.emit("%s = %s(%r, %s, initializer=%s%s)" % (name, fn, vname, shape, init, extra))
            else:
                self.emit("%s = %s(%r, shape=%s, initializer=%s%s)" % (name, fn, vname, shape, init, extra))
        self.emit('net = net %s %s' % (self.pick(['*', '+', '-']), name))
        self.vars_made.append(name)
        self.probe()

    def l_concat(self):
        N, H, W, C = self.shape
        if self.chance(0.5):
            self.emit('net = tf.concat([net, %s(net)], axis=3)' % self.pick(['tf.nn.relu', 'tf.nn.tanh', 'tf.negative']))
            self.shape = (N, H, W, 2 * C)
        else:
            b = self.fresh('branch')
            self.emit("%s = slim.conv2d(net, %d, [1, 1], scope=%r)" % (b, C, b))
            self.emit('net = tf.add(net, %s)' % b)
        self.probe()

    def l_nnconv(self):
        N, H, W, C = self.shape
        name = self.fresh('k')
        kh, kw_ = self.r.randint(1, 3), self.r.randint(1, 3)
        pad = self.pick(['SAME', 'VALID'])
        if pad == 'VALID' and (kh > H or kw_ > W):
            pad = 'SAME'
        if self.chance(0.5):
            cout = self.r.randint(1, 4)
            self.emit("%s = tf.get_variable(%r, [%d, %d, %d, %d])" % (name, name, kh, kw_, C, cout))
            self.emit("net = tf.nn.conv2d(net, %s, strides=[1, 1, 1, 1], padding=%r)" % (name, pad))
        else:
            cout = C
            self.emit("%s = tf.get_variable(%r, [%d, %d, %d, 1])" % (name, name, kh, kw_, C))
            self.emit("net = tf.nn.depthwise_conv2d(net, %s, [1, 1, 1, 1], %r)" % (name, pad))
        oh = self.conv_out(H, kh, 1, pad)
        ow = self.conv_out(W, kw_, 1, pad)
        self.shape = (N, oh, ow, cout)
        self.probe()

    def l_repeat(self):
        N, H, W, C = self.shape
        n = self.r.randint(1, 3)
        kw = {}
        if self.chance(0.7):
            kw['scope'] = repr(self.fresh('rep'))
        fn = self.pick(['slim.conv2d', 'slim.conv2d', 'slim.separable_conv2d', 'slim.fully_connected'])
        if fn == 'slim.conv2d':
            cout = self.r.randint(1, 4)
            if self.dflt(fn, 'padding', "'SAME'") != "'SAME'" or self.dflt(fn, 'stride', '1') != '1':
                kw['padding'] = "'SAME'"
                kw['stride'] = '1'
            if self.chance(0.3):
                kw['activation_fn'] = self.pick(ACTS)
            args = ['net', str(n), fn, str(cout), '[3, 3]' if self.chance(0.5) else '1']
            self.shape = (N, H, W, cout)
        elif fn == 'slim.separable_conv2d':
            kw['padding'] = "'SAME'"
            kw['stride'] = '1'
            kw['depth_multiplier'] = '1'
            args = ['net', str(n), fn, 'None', '[3, 3]']
        else:
            cout = self.r.randint(1, 4)
            args = ['net', str(n), fn, str(cout)]
            self.shape = (N, H, W, cout)
        self.emit('net = ' + self.call('slim.repeat', args, kw))
        self.probe()

    def l_stack(self):
        N, H, W, C = self.shape
        kw = {}
        if self.chance(0.7):
            kw['scope'] = repr(self.fresh('stk'))
        if self.chance(0.5):
            outs = [self.r.randint(1, 4) for _ in range(self.r.randint(1, 3))]
            spec = '[%s]' % ', '.join('(%d, [%d, %d])' % (o, k, k) for o, k in
                                      zip(outs, [self.r.randint(1, 3) for _ in outs]))
            kw['padding'] = "'SAME'"
            kw['stride'] = '1'
            if self.maybe_bad():
                spec = '(%d, [3, 3])' % outs[0]
                spec = "'notalist'"
            self.emit('net = ' + self.call('slim.stack', ['net', 'slim.conv2d', spec], kw))
        else:
            outs = [self.r.randint(1, 4) for _ in range(self.r.randint(1, 3))]
            self.emit('net = ' + self.call('slim.stack', ['net', 'slim.fully_connected', repr(outs)], kw))
        self.shape = (N, H, W, outs[-1])
        self.probe()

    # ---- blocks: scopes, sharing, arg_scopes ----
    def block(self, depth, budget):
        for _ in range(budget):
            if self.shape is None:
                return
            what = self.r.choices(['layer', 'vscope', 'nscope', 'share', 'argscope', 'default', 'auto', 'err'],
                                  weights=[10, 3 if depth < 3 else 0, 2 if depth < 3 else 0,
                                           2 if depth < 2 else 0, 2 if depth < 3 else 0,
                                           1 if depth < 3 else 0, 1 if depth < 3 else 0,
                                           1 if self.want_bad and not self.bad else 0])[0]
            if what == 'layer':
                self.layer4()
            elif what == 'vscope':
                name = self.fresh(self.pick(['s', 'block', 'Conv', 'layer']))
                extra = ''
                if self.chance(0.2):
                    extra = ', values=[net]'
                if self.chance(0.15):
                    extra += ", default_name='ignored'"
                self.emit("with tf.variable_scope(%r%s):" % (name, extra))
                self.nested(_Scope('v'), depth, budget)
            elif what == 'nscope':
                self.emit("with tf.name_scope(%r):" % self.fresh(self.pick(['ns', 'n', 's'])))
                self.nested(_Scope('n'), depth, budget)
            elif what == 'default':
                self.emit("with tf.variable_scope(None, default_name=%r):" % self.pick(['blk', 'Conv', 'unit']))
                self.nested(_Scope('v'), depth, budget)
            elif what == 'auto':
                name = self.fresh('auto')
                self.emit("with tf.variable_scope(%r, reuse=tf.AUTO_REUSE):" % name)
                self.emit("    a = tf.get_variable('shared', [%d], initializer=tf.ones_initializer())" %
                          self.shape[3])
                self.emit("with tf.variable_scope(%r, reuse=tf.AUTO_REUSE):" % name)
                self.emit("    b = tf.get_variable('shared', [%d])" % self.shape[3])
                self.emit("net = net * a + b")
            elif what == 'share':
                self.share(depth)
            elif what == 'argscope':
                self.argscope(depth, budget)
            elif what == 'err':
                self.error_stmt()

    def nested(self, sc, depth, budget):
        self.scopes.append(sc)
        self.ind += 1
        n0 = len(self.lines)
        self.block(depth + 1, max(1, budget // 2))
        if len(self.lines) == n0:
            self.emit('pass')
        self.ind -= 1
        self.scopes.pop()

    def argscope(self, depth, budget):
        ops = self.r.sample(list(SCOPE_KEYS), self.r.randint(1, 3))
        keys = {}
        for op in ops:
            for k in SCOPE_KEYS[op]:
                keys[k] = keys.get(k, 0) + 1
        kw = {}
        pool = [k for k in keys if keys[k] == len(ops)]
        if self.want_bad and not self.bad and self.chance(0.3):
            pool = list(keys)     # a key one of the ops does not take: an error at its call
            self.bad = True
        for k in self.r.sample(pool, min(len(pool), self.r.randint(1, 3))):
            kw[k] = self.scope_value(k)
        if not kw:
            ops = ['slim.conv2d']
            kw['activation_fn'] = self.scope_value('activation_fn')
        saved = self.argstack[-1]
        new = {op: dict(saved.get(op, {})) for op in saved}
        for op in ops:
            new.setdefault(op, {}).update(kw)
        if self.chance(0.3):
            # a stored scope built by a helper def, then re-entered
            fname = self.fresh('my_arg_scope')
            inner_op = self.pick(ops)
            ik = self.pick(SCOPE_KEYS[inner_op]) if inner_op in SCOPE_KEYS else 'padding'
            iv = self.scope_value(ik)
            self.defs.append('def %s():' % fname)
            self.defs.append('    with slim.arg_scope([%s], %s):' % (', '.join(ops), self.kwtext(kw)))
            self.defs.append('        with slim.arg_scope([%s], %s=%s) as sc:' % (inner_op, ik, iv))
            self.defs.append('            return sc')
            self.defs.append('')
            new = {op: dict(new.get(op, {})) for op in new} if False else {
                op: dict(kw) for op in ops}
            new.setdefault(inner_op, {})[ik] = iv
            self.emit('with slim.arg_scope(%s()):' % fname)
        else:
            self.emit('with slim.arg_scope([%s], %s)%s:' % (', '.join(ops), self.kwtext(kw),
                                                            ' as %s' % self.fresh('sc') if self.chance(0.2) else ''))
        self.argstack.append(new)
        self.nested(_Scope('a'), depth, budget)
        self.argstack.pop()

    @staticmethod
    def kwtext(kw):
        return ', '.join('%s=%s' % kv for kv in kw.items())

    def scope_value(self, k):
        return {
            'padding': self.pick(["'SAME'", "'VALID'"]),
            'stride': self.pick(['1', '2']),
            'rate': '1',
            'activation_fn': self.pick(ACTS),
            'weights_regularizer': self.pick(REGS),
            'biases_regularizer': self.pick(REGS),
            'weights_initializer': self.pick(INITS),
            'biases_initializer': self.pick(['None', 'tf.constant_initializer(0.1)']),
            'normalizer_fn': self.pick(['slim.batch_norm', 'None']),
            'trainable': self.pick(['True', 'False']),
            'outputs_collections': "'outs'",
            'depth_multiplier': self.pick(['1', '2']),
            'is_training': self.pick(['False', 'True']),
            'scale': self.pick(['True', 'False']),
            'center': self.pick(['True', 'False']),
            'epsilon': self.pick(['0.01', '1e-5']),
            'decay': '0.9',
            'fused': self.pick(['True', 'False', 'None']),
            'keep_prob': '1.0',
            'initializer': self.pick(INITS[:3]),
            'regularizer': self.pick(REGS),
        }[k]

    def share(self, depth):
        """A helper def called twice with the same input: the second call reuses its variables."""
        fname = self.fresh('tower')
        saved_lines, saved_ind, saved_shape = self.lines, self.ind, self.shape
        saved_stack = self.argstack
        self.argstack = [{}]          # the def runs under whatever arg_scope its caller has:
        self.lines, self.ind = [], 1  # keep its layers explicit about geometry
        self.emit('net = inp')
        saved_bad = self.want_bad
        self.want_bad = False
        for _ in range(self.r.randint(1, 3)):
            self.layer4_shared()
        self.want_bad = saved_bad
        self.emit('return net')
        body = self.lines
        out_shape = self.shape
        self.lines, self.ind, self.argstack = saved_lines, saved_ind, saved_stack
        self.defs.append('def %s(inp):' % fname)
        self.defs.extend(body)
        self.defs.append('')
        self.shape = saved_shape
        a, b = self.fresh('a'), self.fresh('b')
        mode = self.r.randint(0, 4)
        sname = self.fresh('tw')
        if mode == 0:     # scope object re-entered with reuse=True
            self.emit("with tf.variable_scope(%r) as %s_sc:" % (sname, sname))
            self.emit("    %s = %s(net)" % (a, fname))
            self.emit("with tf.variable_scope(%s_sc, reuse=True):" % sname)
            self.emit("    %s = %s(net)" % (b, fname))
        elif mode == 1:   # reuse_variables() inside the same block
            self.emit("with tf.variable_scope(%r) as scope:" % sname)
            self.emit("    %s = %s(net)" % (a, fname))
            self.emit("    scope.reuse_variables()")
            self.emit("    %s = %s(net)" % (b, fname))
        elif mode == 2:   # the same string re-opened with reuse=True
            self.emit("with tf.variable_scope(%r):" % sname)
            self.emit("    %s = %s(net)" % (a, fname))
            self.emit("with tf.variable_scope(%r, reuse=True):" % sname)
            self.emit("    %s = %s(net)" % (b, fname))
        elif mode == 3:   # AUTO_REUSE both times
            self.emit("with tf.variable_scope(%r, reuse=tf.AUTO_REUSE):" % sname)
            self.emit("    %s = %s(net)" % (a, fname))
            self.emit("with tf.variable_scope(%r, reuse=tf.AUTO_REUSE):" % sname)
            self.emit("    %s = %s(net)" % (b, fname))
        else:             # a captured scope re-entered from inside another scope
            other = self.fresh('outer')
            self.emit("with tf.variable_scope(%r) as %s_sc:" % (sname, sname))
            self.emit("    %s = %s(net)" % (a, fname))
            self.emit("with tf.variable_scope(%r):" % other)
            self.emit("    with tf.variable_scope(%s_sc, reuse=True):" % sname)
            self.emit("        %s = %s(net)" % (b, fname))
        self.emit('net = %s %s %s' % (a, self.pick(['+', '-', '*']), b))
        self.shape = out_shape
        self.probe()

    def layer4_shared(self):
        """A layer for a shared tower: geometry fully explicit (callers' arg_scopes differ)."""
        N, H, W, C = self.shape
        kind = self.pick(['conv', 'conv', 'sep', 'bn', 'var', 'fc', 'pool'])
        if kind == 'conv':
            k = self.r.randint(1, 3)
            cout = self.r.randint(1, 4)
            extra = ''
            if self.chance(0.5):
                extra += ', activation_fn=%s' % self.pick(ACTS)
            if self.chance(0.5):
                extra += ", scope=%r" % self.fresh('c')
            if self.chance(0.2):
                extra += ", normalizer_fn=slim.batch_norm, normalizer_params={'is_training': False}"
            self.emit("net = slim.conv2d(net, %d, [%d, %d], stride=1, padding='SAME'%s)" % (cout, k, k, extra))
            self.shape = (N, H, W, cout)
        elif kind == 'sep':
            self.emit("net = slim.separable_conv2d(net, None, [3, 3], depth_multiplier=1, stride=1, "
                      "padding='SAME')")
        elif kind == 'bn':
            self.emit("net = slim.batch_norm(net, is_training=False, scale=%s)" % self.pick(['True', 'False']))
        elif kind == 'var':
            self.emit("net = net * tf.get_variable(%r, [%d])" % (self.fresh('g'), C))
        elif kind == 'fc':
            cout = self.r.randint(1, 4)
            self.emit("net = slim.fully_connected(net, %d, activation_fn=%s)" % (cout, self.pick(ACTS)))
            self.shape = (N, H, W, cout)
        else:
            self.emit("net = slim.max_pool2d(net, [1, 1], stride=1)")
        if self.chance(0.3):
            self.emit("tf.add_to_collection('probe', net)")

    def error_stmt(self):
        """A statement that TF rejects while building the graph."""
        self.bad = True
        C = self.shape[3]
        kind = self.r.randint(0, 9)
        if kind == 0:
            n = self.fresh('dup')
            self.emit("with tf.variable_scope(%r):" % n)
            self.emit("    tf.get_variable('v', [1])")
            self.emit("with tf.variable_scope(%r):" % n)
            self.emit("    tf.get_variable('v', [1])")
        elif kind == 1:
            self.emit("with tf.variable_scope(%r, reuse=True):" % self.fresh('missing'))
            self.emit("    tf.get_variable('w', [%d])" % C)
        elif kind == 2:
            n = self.fresh('sh')
            self.emit("with tf.variable_scope(%r, reuse=tf.AUTO_REUSE):" % n)
            self.emit("    tf.get_variable('w', [2, 3])")
            self.emit("    tf.get_variable('w', [3, 2])")
        elif kind == 3:
            self.emit("with tf.variable_scope(None, default_name='d', reuse=True):")
            self.emit("    pass")
        elif kind == 4:
            self.emit("with tf.variable_scope(%r, reuse='yes'):" % self.fresh('r'))
            self.emit("    pass")
        elif kind == 5:
            self.emit("net = slim.conv2d(net, 2, [3, 3], rate=2, stride=2)")
        elif kind == 6:
            self.emit("net = slim.fully_connected(net, 2.5)")
        elif kind == 7:
            self.emit("net = slim.conv2d(net, 2, [3, 3], padding='FOO')")
        elif kind == 8:
            n = self.fresh('dt')
            self.emit("with tf.variable_scope(%r, reuse=tf.AUTO_REUSE):" % n)
            self.emit("    tf.get_variable('w', [2])")
            self.emit("    tf.get_variable('w', [2], dtype=tf.int32)")
        else:
            self.emit("net = slim.max_pool2d(net, [2, 2], stride=1, padding='valid')")

    # ---- the program ----
    def program(self):
        r = self.r
        self.want_bad = self.chance(0.2)
        N = r.choice([1, 1, 2])
        H, W, C = r.randint(1, 9), r.randint(1, 9), r.randint(1, 4)
        self.shape = (N, H, W, C)
        body_start = len(self.lines)
        self.ind = 1
        if self.chance(0.3):
            self.emit('step = tf.train.get_or_create_global_step()')
        if self.chance(0.15):
            self.emit("loc = slim.local_variable(tf.zeros([%d]), name='loc')" % C)
        outer = None
        if self.chance(0.5):
            outer = self.pick(['model', 'net', 'MobilenetV1', 'vgg_16'])
            self.emit('with tf.variable_scope(%r):' % outer)
            self.ind += 1
        self.block(0 if outer is None else 1, r.randint(1, 3))
        outputs = ['net']
        # a second head through flatten / fully_connected / softmax
        if self.chance(0.4):
            self.head()
            outputs = ['logits', 'net'] if self.chance(0.5) else ['logits']
        if outer is not None:
            self.ind -= 1
        self.tail()
        if len(outputs) == 1:
            ret = self.pick(['net', "{'out': %s}" % outputs[0]])
            if outputs[0] != 'net':
                ret = outputs[0]
        elif self.chance(0.5):
            ret = ', '.join(outputs)
        else:
            ret = '{%s}' % ', '.join("'%s': %s" % (o, o) for o in outputs)
        self.emit('return ' + ret)
        body = self.lines[body_start:]
        inputs = 'x: f32[%d, %d, %d, %d]' % (N, H, W, C)
        head = ['# generated by tests/oracle/gen.py', 'import tensorflow as tf', 'import tf_slim as slim', '']
        text = head + self.defs + ['model m(%s):' % inputs, '    net = x'] + body
        return '\n'.join(text) + '\n'

    def head(self):
        N, H, W, C = self.shape
        kind = self.pick(['flatten', 'mean', 'fc4'])
        if kind == 'flatten':
            self.emit('flat = slim.flatten(net%s)' % (", scope=%r" % self.fresh('flat') if self.chance(0.3) else ''))
            feat = H * W * C
        elif kind == 'mean':
            self.emit("flat = tf.reduce_mean(net, [1, 2], name='pool')")
            feat = C
        else:
            self.emit('flat = tf.reshape(net, [%d, -1])' % N)
            feat = H * W * C
        kw = {}
        if self.chance(0.5):
            kw['activation_fn'] = self.pick(ACTS)
        if self.chance(0.2):
            kw['normalizer_fn'] = 'slim.batch_norm'
            kw['normalizer_params'] = self.bn_params_dict()
        if self.chance(0.2):
            kw['weights_regularizer'] = self.pick(REGS)
        self.scope_kw(kw)
        nout = self.r.randint(1, 5)
        if self.maybe_bad():
            nout = '%d.0' % nout
        self.emit('logits = ' + self.call('slim.fully_connected', ['flat', str(nout)], kw))
        if self.chance(0.4):
            self.emit('logits = slim.softmax(logits%s)' % (", scope='pred'" if self.chance(0.5) else ''))
        elif self.chance(0.3):
            self.emit("logits = tf.nn.softmax(logits, name='Predictions')")
        if self.chance(0.3):
            self.emit("tf.add_to_collection('probe', logits)")
        del feat

    def tail(self):
        """EMA and restore maps."""
        r = self.r
        k = r.randint(0, 9)
        if k <= 4 or (k == 9 and self.chance(0.5)):
            return
        steparg = ''
        if self.chance(0.3):
            self.emit('gs = tf.train.get_or_create_global_step()')
            steparg = ', num_updates=gs'
        self.emit('ema = tf.train.ExponentialMovingAverage(%s%s)' % (self.pick(['0.99', '0.9999']), steparg))
        which = self.pick(['tf.trainable_variables()', 'slim.get_model_variables()', 'tf.trainable_variables()[:1]',
                           'slim.get_trainable_variables()', 'slim.get_model_variables()[-2:]'])
        if self.chance(0.2):
            self.emit("with tf.variable_scope('avg'):")
            self.emit('    ema.apply(%s)' % which)
        else:
            self.emit('ema.apply(%s)' % which)
        if k == 5:
            self.emit('restore(ema.variables_to_restore())')
        elif k == 6:
            self.emit('m_restore = ema.variables_to_restore(slim.get_model_variables())')
            self.emit('restore(m_restore)')
        elif k == 7:
            self.emit('restore(slim.get_variables_to_restore())')
        elif k == 8:
            self.emit('restore(dict((v.op.name, v) for v in tf.global_variables()))')
        else:
            self.emit("tf.add_to_collection('probe', tf.identity(net, name='final'))")


def generate(seed):
    """The program for one seed (deterministic)."""
    return Gen(seed).program()


if __name__ == '__main__':
    import sys
    print(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 0), end='')
