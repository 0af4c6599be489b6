"""Independent NumPy references for the zoo nets' inference (NHWC, TF semantics).

Written from the network definitions and TF's arithmetic (SAME padding puts the extra
cell at the bottom/right; batch norm at inference uses the moving statistics), not
from slimc's kernels. Weights come from a dict name -> ndarray (e.g. an .npz written by
`slim-ckpt to-npz`, or made up by the test).
"""
import numpy as np


def pad_same(n, k, s, rate=1):
    keff = k + (k - 1) * (rate - 1)
    out = -(-n // s)
    total = max((out - 1) * s + keff - n, 0)
    return out, total // 2, total - total // 2


def conv2d(x, w, stride=1, padding='SAME'):
    """x [N,H,W,C], w [kh,kw,C,O]: cross-correlation as TF computes it."""
    n, h, wd, c = x.shape
    kh, kw, _, o = w.shape
    if padding == 'SAME':
        oh, pt, pb = pad_same(h, kh, stride)
        ow, pl, pr = pad_same(wd, kw, stride)
    else:
        oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    out = np.zeros((n, oh, ow, o), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :]
            out += np.tensordot(patch, w[i, j], axes=([3], [0]))
    return out


def depthwise(x, w, stride=1):
    """w [kh,kw,C,1]: one kernel per channel, SAME padding."""
    n, h, wd, c = x.shape
    kh, kw, _, m = w.shape
    assert m == 1
    oh, pt, pb = pad_same(h, kh, stride)
    ow, pl, pr = pad_same(wd, kw, stride)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    out = np.zeros((n, oh, ow, c), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            out += xp[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :] * w[i, j, :, 0]
    return out


def batch_norm(x, p, prefix, eps, scale=True):
    gamma = p[prefix + '/gamma'] if scale else 1.0
    beta = p[prefix + '/beta']
    mean, var = p[prefix + '/moving_mean'], p[prefix + '/moving_variance']
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def relu6(x):
    return np.minimum(np.maximum(x, 0.0), 6.0)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


MOBILENET_V1_DEFS = [(2, 32)] + [(1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512)] + \
    [(1, 512)] * 5 + [(2, 1024), (1, 1024)]


def mobilenet_v1(x, p, num_classes, depth_multiplier=1.0, min_depth=8, eps=1e-3, scope='MobilenetV1'):
    """TF-Slim mobilenet_v1 at inference (is_training=False). Returns (logits, probabilities)."""
    net = x.astype(np.float64)
    for i, (stride, _) in enumerate(MOBILENET_V1_DEFS):
        if i == 0:
            name = scope + '/Conv2d_0'
            net = conv2d(net, p[name + '/weights'], stride)
            net = relu6(batch_norm(net, p, name + '/BatchNorm', eps))
            continue
        name = '%s/Conv2d_%d' % (scope, i)
        net = depthwise(net, p[name + '_depthwise/depthwise_weights'], stride)
        net = relu6(batch_norm(net, p, name + '_depthwise/BatchNorm', eps))
        net = conv2d(net, p[name + '_pointwise/weights'], 1)
        net = relu6(batch_norm(net, p, name + '_pointwise/BatchNorm', eps))
    # AvgPool_1a: 7x7 VALID, reduced to the feature map for small inputs
    kh, kw = min(7, net.shape[1]), min(7, net.shape[2])
    oh, ow = net.shape[1] - kh + 1, net.shape[2] - kw + 1
    pooled = np.zeros((net.shape[0], oh, ow, net.shape[3]))
    for i in range(oh):
        for j in range(ow):
            pooled[:, i, j, :] = net[:, i:i + kh, j:j + kw, :].mean(axis=(1, 2))
    name = scope + '/Logits/Conv2d_1c_1x1'
    logits = conv2d(pooled, p[name + '/weights'], 1) + p[name + '/biases']
    logits = logits.reshape(logits.shape[0], -1) if logits.shape[1:3] == (1, 1) else logits
    return logits, softmax(logits)


def resnet_v1_50(x, p, num_classes=1000, eps=1e-5, scope='resnet_v1_50'):
    """TF-Slim resnet_v1_50 at inference, global pool + 1x1 logits conv. Returns (logits, probabilities)."""
    def conv_bn(net, name, stride=1, relu=True, padding='SAME'):
        net = conv2d(net, p[name + '/weights'], stride, padding)
        net = batch_norm(net, p, name + '/BatchNorm', eps)
        return np.maximum(net, 0.0) if relu else net

    def conv2d_same(net, name, k, stride):
        # resnet_utils.conv2d_same: explicit symmetric padding then VALID when stride > 1
        if stride == 1:
            return conv_bn(net, name, 1)
        total = k - 1
        beg, end = total // 2, total - total // 2
        net = np.pad(net, ((0, 0), (beg, end), (beg, end), (0, 0)))
        return conv_bn(net, name, stride, padding='VALID')

    def subsample(net, stride):
        return net if stride == 1 else net[:, ::stride, ::stride, :]

    def bottleneck(net, name, depth, depth_bottleneck, stride):
        depth_in = net.shape[3]
        if depth == depth_in:
            shortcut = subsample(net, stride)
        else:
            shortcut = conv_bn(net, name + '/shortcut', stride, relu=False)
        res = conv_bn(net, name + '/conv1', 1)
        res = conv2d_same(res, name + '/conv2', 3, stride)
        res = conv_bn(res, name + '/conv3', 1, relu=False)
        return np.maximum(shortcut + res, 0.0)

    net = x.astype(np.float64)
    net = conv2d_same(net, scope + '/conv1', 7, 2)
    # max_pool2d 3x3 stride 2 SAME (resnet_arg_scope): padded cells never win
    n, h, w, c = net.shape
    oh, pt, pb = pad_same(h, 3, 2)
    ow, pl, pr = pad_same(w, 3, 2)
    xp = np.pad(net, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=-np.inf)
    pooled = np.full((n, oh, ow, c), -np.inf)
    for i in range(3):
        for j in range(3):
            pooled = np.maximum(pooled, xp[:, i:i + 2 * oh:2, j:j + 2 * ow:2, :])
    net = pooled
    blocks = [('block1', 64, 3, 2), ('block2', 128, 4, 2), ('block3', 256, 6, 2), ('block4', 512, 3, 1)]
    for bname, base, units, stride in blocks:
        for u in range(units):
            s = stride if u == units - 1 else 1
            net = bottleneck(net, '%s/%s/unit_%d/bottleneck_v1' % (scope, bname, u + 1), base * 4, base, s)
    net = net.mean(axis=(1, 2), keepdims=True)
    logits = conv2d(net, p[scope + '/logits/weights'], 1) + p[scope + '/logits/biases']
    logits = logits.reshape(logits.shape[0], -1)
    return logits, softmax(logits)
