"""The benchmark nets for the peers, built from the same checkpoint values slimc runs.

A net is a list of layers in NCHW terms (ONNX Runtime's native layout), written from
TF-Slim's definitions: mobilenet_v1 (1.0, 224) and resnet_v1_50. From that list
come an ONNX model for ONNX Runtime and the multiply-add count. TF's SAME padding
puts the odd cell at the bottom/right, so pads are explicit and may be asymmetric.
(TensorFlow, the third peer, runs the .slim file itself: bench/tf_run.py.)

The ONNX file is encoded here, in protobuf's wire format, from the few fields of
onnx.proto it needs (field numbers in the comments), so the benchmark needs no
`onnx` package: onnxruntime alone (from the tests' venv) loads and checks it.
"""
import numpy as np

MOBILENET_DEFS = [(2, 32)] + [(1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512)] + \
    [(1, 512)] * 5 + [(2, 1024), (1, 1024)]


def same_pads(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return out, total // 2, total - total // 2


class Net:
    """Layers: dicts with 'op' in conv, maxpool, avgpool, add_relu, save, logits."""

    def __init__(self, name, w):
        self.name, self.w, self.layers, self.hw, self.c = name, w, [], 224, 3
        self.macs = 0

    def conv(self, prefix, cout, k, s, pads, depthwise=False, bn_eps=None, act=None, bias=False, tag=None,
             src=None):
        key = prefix + ('/depthwise_weights' if depthwise else '/weights')
        wt = self.w[key]  # HWIO or HW C 1
        if depthwise:
            wt = wt.transpose(2, 3, 0, 1)  # C,1,kh,kw
        else:
            wt = wt.transpose(3, 2, 0, 1)  # O,I,kh,kw
        hw = self.hw if src is None else src[0]
        cin = self.c if src is None else src[1]
        out = (hw + pads[0] + pads[1] - k) // s + 1
        self.macs += out * out * k * k * (cin if not depthwise else 1) * (cout if not depthwise else cin)
        layer = dict(op='conv', w=np.ascontiguousarray(wt, np.float32), s=s, pads=pads,
                     group=cin if depthwise else 1, act=act, tag=tag, src=None if src is None else src[2])
        if bn_eps is not None:
            p = prefix + '/BatchNorm/'
            layer['bn'] = [self.w[p + 'gamma'], self.w[p + 'beta'], self.w[p + 'moving_mean'],
                           self.w[p + 'moving_variance'], bn_eps]
        if bias:
            layer['bias'] = self.w[prefix + '/biases']
        self.layers.append(layer)
        self.hw, self.c = out, (cout if not depthwise else cin)

    def maxpool(self, k, s, pads, tag=None):
        self.layers.append(dict(op='maxpool', k=k, s=s, pads=pads, tag=tag))
        self.hw = (self.hw + pads[0] + pads[1] - k) // s + 1


def mobilenet_v1(w):
    n = Net('mobilenet_v1', w)
    eps = 1e-3
    for i, (s, d) in enumerate(MOBILENET_DEFS):
        if i == 0:
            _, a, b = same_pads(n.hw, 3, s)
            n.conv('MobilenetV1/Conv2d_0', d, 3, s, (a, b), bn_eps=eps, act='relu6')
            continue
        _, a, b = same_pads(n.hw, 3, s)
        pre = 'MobilenetV1/Conv2d_%d' % i
        n.conv(pre + '_depthwise', n.c, 3, s, (a, b), depthwise=True, bn_eps=eps, act='relu6')
        n.conv(pre + '_pointwise', d, 1, 1, (0, 0), bn_eps=eps, act='relu6')
    n.layers.append(dict(op='avgpool', k=7))
    n.hw = 1
    n.conv('MobilenetV1/Logits/Conv2d_1c_1x1', 1001, 1, 1, (0, 0), bias=True)
    return n


def resnet_v1_50(w):
    n = Net('resnet_v1_50', w)
    eps = 1e-5
    sc = 'resnet_v1_50'
    n.conv(sc + '/conv1', 64, 7, 2, (3, 3), bn_eps=eps, act='relu')
    _, a, b = same_pads(n.hw, 3, 2)
    n.maxpool(3, 2, (a, b))
    blocks = [('block1', 64, 3, 2), ('block2', 128, 4, 2), ('block3', 256, 6, 2), ('block4', 512, 3, 1)]
    uid = 0
    for bname, base, units, stride in blocks:
        for u in range(units):
            s = stride if u == units - 1 else 1
            pre = '%s/%s/unit_%d/bottleneck_v1' % (sc, bname, u + 1)
            depth = base * 4
            uid += 1
            in_tag = 'in%d' % uid
            n.layers.append(dict(op='save', tag=in_tag))
            hw_in, c_in = n.hw, n.c
            if depth == c_in:
                if s == 1:
                    short = in_tag
                else:
                    n.maxpool(1, s, (0, 0), tag='sc%d' % uid)
                    short = 'sc%d' % uid
                    n.hw = hw_in
            else:
                n.conv(pre + '/shortcut', depth, 1, s, (0, 0), bn_eps=eps, tag='sc%d' % uid)
                short = 'sc%d' % uid
                n.hw, n.c = hw_in, c_in
            n.conv(pre + '/conv1', base, 1, 1, (0, 0), bn_eps=eps, act='relu', src=(hw_in, c_in, in_tag))
            if s == 1:
                n.conv(pre + '/conv2', base, 3, 1, (1, 1), bn_eps=eps, act='relu')
            else:
                n.conv(pre + '/conv2', base, 3, s, (1, 1), bn_eps=eps, act='relu')
            n.conv(pre + '/conv3', depth, 1, 1, (0, 0), bn_eps=eps)
            n.layers.append(dict(op='add_relu', other=short))
    n.layers.append(dict(op='avgpool', k=n.hw))
    n.hw = 1
    n.conv(sc + '/logits', 1000, 1, 1, (0, 0), bias=True)
    return n


NETS = {'mobilenet_v1': mobilenet_v1, 'resnet_v1_50': resnet_v1_50}


# ---------------------------------------------------------------- ONNX
def _varint(v):
    out = bytearray()
    while True:
        b = v & 0x7f
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _key(num, wire):
    return _varint(num << 3 | wire)


def _int(num, v):
    return _key(num, 0) + _varint(v & (1 << 64) - 1)


def _bytes(num, b):
    if isinstance(b, str):
        b = b.encode()
    return _key(num, 2) + _varint(len(b)) + b


def _float(num, f):
    return _key(num, 5) + np.float32(f).tobytes()


def _attr(name, v):
    """AttributeProto: name 1, f 2, i 3, ints 8, type 20 (FLOAT 1, INT 2, INTS 7)."""
    if isinstance(v, float):
        return _bytes(1, name) + _float(2, v) + _int(20, 1)
    if isinstance(v, int):
        return _bytes(1, name) + _int(3, v) + _int(20, 2)
    return _bytes(1, name) + b''.join(_int(8, x) for x in v) + _int(20, 7)


def _node(op, inputs, outputs, **attrs):
    """NodeProto: input 1, output 2, op_type 4, attribute 5."""
    return (b''.join(_bytes(1, i) for i in inputs) + b''.join(_bytes(2, o) for o in outputs) + _bytes(4, op) +
            b''.join(_bytes(5, _attr(k, v)) for k, v in sorted(attrs.items())))


def _tensor(name, a):
    """TensorProto: dims 1, data_type 2 (FLOAT 1), name 8, raw_data 9."""
    a = np.ascontiguousarray(a, np.float32)
    return b''.join(_int(1, d) for d in a.shape) + _int(2, 1) + _bytes(8, name) + _bytes(9, a.tobytes())


def _value_info(name, shape):
    """ValueInfoProto {name 1, type 2: TypeProto {tensor_type 1: {elem_type 1, shape 2:
    TensorShapeProto {dim 1: {dim_value 1}}}}}."""
    dims = b''.join(_bytes(1, _int(1, d)) for d in shape)
    return _bytes(1, name) + _bytes(2, _bytes(1, _int(1, 1) + _bytes(2, dims)))


def to_onnx(net, path):
    nodes, inits = [], []
    cur, k = 'x', 0
    tags = {}

    def const(name, a):
        inits.append(_tensor(name, a))
        return name

    for L in net.layers:
        k += 1
        op = L['op']
        if op == 'save':
            tags[L['tag']] = cur
            continue
        out = 't%d' % k
        if op == 'conv':
            src = tags[L['src']] if L.get('src') else cur
            a, b = L['pads']
            ins = [src, const('w%d' % k, L['w'])]
            if 'bias' in L:
                ins.append(const('b%d' % k, L['bias']))
            conv_out = out if ('bn' not in L and not L['act']) else out + 'c'
            nodes.append(_node('Conv', ins, [conv_out], strides=[L['s']] * 2, pads=[a, a, b, b],
                               group=L['group'], kernel_shape=list(L['w'].shape[2:])))
            y = conv_out
            if 'bn' in L:
                g, be, m, v, eps = L['bn']
                bn_out = out if not L['act'] else out + 'n'
                nodes.append(_node('BatchNormalization', [y, const('g%d' % k, g), const('be%d' % k, be),
                                                          const('m%d' % k, m), const('v%d' % k, v)], [bn_out],
                                   epsilon=float(eps)))
                y = bn_out
            if L['act'] == 'relu':
                nodes.append(_node('Relu', [y], [out]))
            elif L['act'] == 'relu6':
                nodes.append(_node('Clip', [y, const('lo%d' % k, np.array(0, np.float32)),
                                            const('hi%d' % k, np.array(6, np.float32))], [out]))
        elif op == 'maxpool':
            a, b = L['pads']
            nodes.append(_node('MaxPool', [cur], [out], kernel_shape=[L['k']] * 2, strides=[L['s']] * 2,
                               pads=[a, a, b, b]))
        elif op == 'avgpool':
            nodes.append(_node('AveragePool', [cur], [out], kernel_shape=[L['k']] * 2))
        elif op == 'add_relu':
            nodes.append(_node('Add', [cur, tags[L['other']]], [out + 'a']))
            nodes.append(_node('Relu', [out + 'a'], [out]))
        if L.get('tag'):
            tags[L['tag']] = out
        if op in ('conv', 'maxpool') and (L.get('tag') or '').startswith('sc'):
            continue  # a shortcut branch: the main path goes on from the unit's input
        cur = out
    nodes.append(_node('Flatten', [cur], ['logits'], axis=1))
    ncls = net.layers[-1]['w'].shape[0]
    # GraphProto: node 1, name 2, initializer 5, input 11, output 12
    graph = (b''.join(_bytes(1, n) for n in nodes) + _bytes(2, net.name) + b''.join(_bytes(5, t) for t in inits) +
             _bytes(11, _value_info('x', [1, 3, 224, 224])) + _bytes(12, _value_info('logits', [1, ncls])))
    # ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 {domain 1, version 2}
    model = _int(1, 8) + _bytes(2, 'slimc bench') + _bytes(7, graph) + _bytes(8, _bytes(1, '') + _int(2, 13))
    with open(path, 'wb') as f:
        f.write(model)
