"""The benchmark nets for the peers, built from the same checkpoint values slimc runs.

A net is a list of layers in NCHW terms (the peers' native layout), written from
TF-Slim's definitions: mobilenet_v1 (1.0, 224) and resnet_v1_50. From that list
come an ONNX model (onnx.helper) for ONNX Runtime, a torch.nn.Module for PyTorch,
and the multiply-add count. TF's SAME padding puts the odd cell at the bottom/right,
so pads are explicit and may be asymmetric.
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
def to_onnx(net, path):
    import onnx
    from onnx import helper, TensorProto, numpy_helper
    nodes, inits = [], []
    cur, k = 'x', 0
    tags = {}

    def const(name, a):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(a, np.float32), name))
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
            nodes.append(helper.make_node('Conv', ins, [conv_out], strides=[L['s']] * 2, pads=[a, a, b, b],
                                          group=L['group'], kernel_shape=list(L['w'].shape[2:])))
            y = conv_out
            if 'bn' in L:
                g, be, m, v, eps = L['bn']
                bn_out = out if not L['act'] else out + 'n'
                nodes.append(helper.make_node('BatchNormalization',
                                              [y, const('g%d' % k, g), const('be%d' % k, be), const('m%d' % k, m),
                                               const('v%d' % k, v)], [bn_out], epsilon=eps))
                y = bn_out
            if L['act'] == 'relu':
                nodes.append(helper.make_node('Relu', [y], [out]))
            elif L['act'] == 'relu6':
                nodes.append(helper.make_node('Clip', [y, const('lo%d' % k, np.array(0, np.float32)),
                                                       const('hi%d' % k, np.array(6, np.float32))], [out]))
        elif op == 'maxpool':
            a, b = L['pads']
            nodes.append(helper.make_node('MaxPool', [cur], [out], kernel_shape=[L['k']] * 2, strides=[L['s']] * 2,
                                          pads=[a, a, b, b]))
        elif op == 'avgpool':
            nodes.append(helper.make_node('AveragePool', [cur], [out], kernel_shape=[L['k']] * 2))
        elif op == 'add_relu':
            nodes.append(helper.make_node('Add', [cur, tags[L['other']]], [out + 'a']))
            nodes.append(helper.make_node('Relu', [out + 'a'], [out]))
        if L.get('tag'):
            tags[L['tag']] = out
        if op == 'conv' and (L.get('tag') or '').startswith('sc'):
            continue  # a shortcut branch: the main path goes on from the unit's input
        if op == 'maxpool' and L.get('tag', '') and L['tag'].startswith('sc'):
            continue
        cur = out
    nodes.append(helper.make_node('Flatten', [cur], ['logits'], axis=1))
    ncls = net.layers[-1]['w'].shape[0]
    graph = helper.make_graph(nodes, net.name, [helper.make_tensor_value_info('x', TensorProto.FLOAT,
                                                                              [1, 3, 224, 224])],
                              [helper.make_tensor_value_info('logits', TensorProto.FLOAT, [1, ncls])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


# ---------------------------------------------------------------- PyTorch
def to_torch(net):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Conv(nn.Module):
        def __init__(self, L):
            super().__init__()
            a, b = L['pads']
            w = torch.from_numpy(L['w'])
            self.pad = nn.ZeroPad2d((a, b, a, b)) if a != b else nn.Identity()
            self.conv = nn.Conv2d(w.shape[1] * L['group'], w.shape[0], w.shape[2], L['s'], a if a == b else 0,
                                  groups=L['group'], bias='bias' in L)
            self.conv.weight.data.copy_(w)
            if 'bias' in L:
                self.conv.bias.data.copy_(torch.from_numpy(L['bias']))
            if 'bn' in L:
                g, be, m, v, eps = L['bn']
                self.bn = nn.BatchNorm2d(w.shape[0], eps=eps)
                self.bn.weight.data.copy_(torch.from_numpy(g))
                self.bn.bias.data.copy_(torch.from_numpy(be))
                self.bn.running_mean.copy_(torch.from_numpy(m))
                self.bn.running_var.copy_(torch.from_numpy(v))
            else:
                self.bn = nn.Identity()
            self.act = {'relu': nn.ReLU(), 'relu6': nn.ReLU6()}.get(L['act'], nn.Identity())

        def forward(self, x):
            return self.act(self.bn(self.conv(self.pad(x))))

    class Unit(nn.Module):
        """save -> [shortcut] -> conv1 conv2 conv3 -> add_relu"""

        def __init__(self, shortcut, body):
            super().__init__()
            self.shortcut, self.body = shortcut, nn.Sequential(*body)

        def forward(self, x):
            return F.relu(self.shortcut(x) + self.body(x))

    mods, i, Ls = [], 0, net.layers
    while i < len(Ls):
        L = Ls[i]
        if L['op'] == 'save':  # a resnet unit: shortcut, three convs, add_relu
            j = i + 1
            if Ls[j]['op'] == 'conv' and (Ls[j].get('tag') or '').startswith('sc'):
                short = Conv(Ls[j])
                j += 1
            elif Ls[j]['op'] == 'maxpool':
                short = nn.MaxPool2d(1, Ls[j]['s'])
                j += 1
            else:
                short = nn.Identity()
            body = [Conv(Ls[j]), Conv(Ls[j + 1]), Conv(Ls[j + 2])]
            mods.append(Unit(short, body))
            i = j + 4
            continue
        if L['op'] == 'conv':
            mods.append(Conv(L))
        elif L['op'] == 'maxpool':
            a, b = L['pads']
            mods += [nn.ConstantPad2d((a, b, a, b), float('-inf')), nn.MaxPool2d(L['k'], L['s'])]
        elif L['op'] == 'avgpool':
            mods.append(nn.AvgPool2d(L['k']))
        i += 1
    mods.append(nn.Flatten())
    return nn.Sequential(*mods).eval()
