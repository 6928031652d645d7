/* One-pass optimizer updates and batch norm for mlplab.kernels (see its docstring for why).
 *
 * Each loop is the same equation as the NumPy reference in mlplab/optim.py, for float32
 * and float64 buffers, run without the GIL.  Plain C, compiled at install time; when it
 * cannot be built, mlplab falls back to NumPy.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

/* SGD (PyTorch's form): g += wd p; v = g (first) or m v + (1 - d) g; g = g + m v (Nesterov) or v; p -= lr g
 * (restrict on function parameters is what lets gcc vectorise these loops) */
#define DEFINE_SGD(T, NAME)                                                                  \
    static void NAME(T *restrict P, const T *restrict G, T *restrict V, Py_ssize_t n, T lr, T wd, T m, \
                     T damp, int nesterov, int first) {                                      \
        for (Py_ssize_t i = 0; i < n; i++) {                                                 \
            T gi = G[i] + wd * P[i];                                                         \
            if (m != 0) {                                                                    \
                T vi = first ? gi : m * V[i] + ((T)1 - damp) * gi;                           \
                V[i] = vi;                                                                   \
                gi = nesterov ? gi + m * vi : vi;                                            \
            }                                                                                \
            P[i] -= lr * gi;                                                                 \
        }                                                                                    \
    }
DEFINE_SGD(float, sgd_f32)
DEFINE_SGD(double, sgd_f64)

/* Adam (PyTorch's arrangement): p *= decay; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= step_size m / (sqrt(v) / sqrt_bc2 + eps) */
#define DEFINE_ADAM(T, NAME)                                                                 \
    static void NAME(T *restrict P, const T *restrict G, T *restrict M, T *restrict V, Py_ssize_t n, \
                     T step_size, T b1, T b2, T eps, T sqrt_bc2, T wd, T decay) {            \
        for (Py_ssize_t i = 0; i < n; i++) {                                                 \
            T gi = G[i] + wd * P[i];                                                         \
            T pi = P[i] * decay;                                                             \
            T mi = b1 * M[i] + ((T)1 - b1) * gi;                                             \
            T vi = b2 * V[i] + ((T)1 - b2) * gi * gi;                                        \
            M[i] = mi;                                                                       \
            V[i] = vi;                                                                       \
            P[i] = pi - step_size * mi / ((T)sqrt((double)vi) / sqrt_bc2 + eps);             \
        }                                                                                    \
    }
DEFINE_ADAM(float, adam_f32)
DEFINE_ADAM(double, adam_f64)

static int check_buffers(Py_buffer *first, Py_buffer **others, int count) {
    if (first->itemsize != 4 && first->itemsize != 8) {
        PyErr_SetString(PyExc_TypeError, "fused kernels need float32 or float64 arrays");
        return -1;
    }
    for (int k = 0; k < count; k++) {
        if (others[k]->len != first->len || others[k]->itemsize != first->itemsize) {
            PyErr_SetString(PyExc_ValueError, "fused kernels need arrays of one size and dtype");
            return -1;
        }
    }
    return 0;
}

static PyObject *fused_sgd(PyObject *self, PyObject *args) {
    Py_buffer p, g, v;
    double lr, wd, momentum, dampening;
    int nesterov, first;
    if (!PyArg_ParseTuple(args, "w*y*w*ddddpp", &p, &g, &v, &lr, &wd, &momentum, &dampening, &nesterov, &first))
        return NULL;
    Py_buffer *others[] = {&g, &v};
    PyObject *result = NULL;
    if (check_buffers(&p, others, 2) == 0) {
        Py_ssize_t n = p.len / p.itemsize;
        Py_BEGIN_ALLOW_THREADS
        if (p.itemsize == 4)
            sgd_f32(p.buf, g.buf, v.buf, n, (float)lr, (float)wd, (float)momentum, (float)dampening, nesterov, first);
        else
            sgd_f64(p.buf, g.buf, v.buf, n, lr, wd, momentum, dampening, nesterov, first);
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&p);
    PyBuffer_Release(&g);
    PyBuffer_Release(&v);
    return result;
}

static PyObject *fused_adam(PyObject *self, PyObject *args) {
    Py_buffer p, g, m, v;
    double step_size, beta1, beta2, eps, sqrt_bc2, wd, decay;
    if (!PyArg_ParseTuple(args, "w*y*w*w*ddddddd", &p, &g, &m, &v, &step_size, &beta1, &beta2, &eps, &sqrt_bc2,
                          &wd, &decay))
        return NULL;
    Py_buffer *others[] = {&g, &m, &v};
    PyObject *result = NULL;
    if (check_buffers(&p, others, 3) == 0) {
        Py_ssize_t n = p.len / p.itemsize;
        Py_BEGIN_ALLOW_THREADS
        if (p.itemsize == 4)
            adam_f32(p.buf, g.buf, m.buf, v.buf, n, (float)step_size, (float)beta1, (float)beta2, (float)eps,
                     (float)sqrt_bc2, (float)wd, (float)decay);
        else
            adam_f64(p.buf, g.buf, m.buf, v.buf, n, step_size, beta1, beta2, eps, sqrt_bc2, wd, decay);
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&p);
    PyBuffer_Release(&g);
    PyBuffer_Release(&m);
    PyBuffer_Release(&v);
    return result;
}


/* Batch norm, training mode (DD2424 lecture 4), over a C-contiguous (n, d) batch.
 * Forward: mu, v (biased) per column; s_hat = (x - mu) / sqrt(v + eps); y = gamma s_hat + beta.
 * Column sums are accumulated in double whatever the storage type. */
#define DEFINE_BN_FORWARD(T, NAME)                                                           \
    static void NAME(const T *restrict X, const T *restrict Gm, const T *restrict Bt, T *restrict S, \
                     T *restrict Y, T *restrict Mu, T *restrict Va, T *restrict Inv, double *restrict A, \
                     double *restrict U, Py_ssize_t n, Py_ssize_t d, double eps) {           \
        for (Py_ssize_t j = 0; j < d; j++) A[j] = 0.0;                                       \
        for (Py_ssize_t i = 0; i < n; i++)                                                   \
            for (Py_ssize_t j = 0; j < d; j++) A[j] += X[i * d + j];                         \
        for (Py_ssize_t j = 0; j < d; j++) { U[j] = A[j] / n; A[j] = 0.0; }                  \
        for (Py_ssize_t i = 0; i < n; i++)                                                   \
            for (Py_ssize_t j = 0; j < d; j++) {                                             \
                double c = X[i * d + j] - U[j];                                              \
                A[j] += c * c;                                                               \
            }                                                                                \
        for (Py_ssize_t j = 0; j < d; j++) {                                                 \
            Mu[j] = (T)U[j];                                                                 \
            Va[j] = (T)(A[j] / n);                                                           \
            Inv[j] = (T)(1.0 / sqrt((double)Va[j] + eps));                                   \
        }                                                                                    \
        for (Py_ssize_t i = 0; i < n; i++)                                                   \
            for (Py_ssize_t j = 0; j < d; j++) {                                             \
                T sh = (X[i * d + j] - Mu[j]) * Inv[j];                                      \
                S[i * d + j] = sh;                                                           \
                Y[i * d + j] = sh * Gm[j] + Bt[j];                                           \
            }                                                                                \
    }
DEFINE_BN_FORWARD(float, bn_forward_f32)
DEFINE_BN_FORWARD(double, bn_forward_f64)

/* Backward: dgamma = sum_i g_i s_hat_i; dbeta = sum_i g_i;
 * dx_i = c (g_i - dbeta / n - s_hat_i dgamma / n), c = gamma / sqrt(v + eps). */
#define DEFINE_BN_BACKWARD(T, NAME)                                                          \
    static void NAME(const T *restrict G, const T *restrict S, const T *restrict Gm, const T *restrict Inv, \
                     T *restrict DX, T *restrict DG, T *restrict DB, double *restrict A1, double *restrict A2, \
                     Py_ssize_t n, Py_ssize_t d) {                                           \
        for (Py_ssize_t j = 0; j < d; j++) { A1[j] = 0.0; A2[j] = 0.0; }                     \
        for (Py_ssize_t i = 0; i < n; i++)                                                   \
            for (Py_ssize_t j = 0; j < d; j++) {                                             \
                A1[j] += (double)G[i * d + j] * S[i * d + j];                                \
                A2[j] += G[i * d + j];                                                       \
            }                                                                                \
        for (Py_ssize_t j = 0; j < d; j++) {                                                 \
            DG[j] = (T)A1[j];                                                                \
            DB[j] = (T)A2[j];                                                                \
            A1[j] = A1[j] / n;                                                               \
            A2[j] = A2[j] / n;                                                               \
        }                                                                                    \
        for (Py_ssize_t i = 0; i < n; i++)                                                   \
            for (Py_ssize_t j = 0; j < d; j++) {                                             \
                T c = Gm[j] * Inv[j];                                                        \
                DX[i * d + j] = c * (G[i * d + j] - (T)A2[j] - S[i * d + j] * (T)A1[j]);     \
            }                                                                                \
    }
DEFINE_BN_BACKWARD(float, bn_backward_f32)
DEFINE_BN_BACKWARD(double, bn_backward_f64)

/* ReLU: y = s if s > 0 else 0 (NaN passes through, as s * [s > 0] lets it); backward dx = dy [y > 0]
 * (y > 0 exactly where s > 0), so the output is all the backward pass needs: one pass each way. */
#define DEFINE_RELU(T, FORWARD, BACKWARD)                                                    \
    static void FORWARD(const T *restrict X, T *restrict Y, Py_ssize_t n) {                  \
        for (Py_ssize_t i = 0; i < n; i++) Y[i] = X[i] <= (T)0 ? (T)0 : X[i];                \
    }                                                                                        \
    static void BACKWARD(const T *restrict G, const T *restrict Y, T *restrict DX, Py_ssize_t n) { \
        for (Py_ssize_t i = 0; i < n; i++) DX[i] = G[i] * (T)(Y[i] > (T)0);                  \
    }
DEFINE_RELU(float, relu_forward_f32, relu_backward_f32)
DEFINE_RELU(double, relu_forward_f64, relu_backward_f64)

static PyObject *fused_relu_forward(PyObject *self, PyObject *args) {
    Py_buffer x, y;
    if (!PyArg_ParseTuple(args, "y*w*", &x, &y))
        return NULL;
    Py_buffer *others[] = {&y};
    PyObject *result = NULL;
    if (check_buffers(&x, others, 1) == 0) {
        Py_ssize_t n = x.len / x.itemsize;
        Py_BEGIN_ALLOW_THREADS
        if (x.itemsize == 4) relu_forward_f32(x.buf, y.buf, n);
        else relu_forward_f64(x.buf, y.buf, n);
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&x);
    PyBuffer_Release(&y);
    return result;
}

static PyObject *fused_relu_backward(PyObject *self, PyObject *args) {
    Py_buffer g, y, dx;
    if (!PyArg_ParseTuple(args, "y*y*w*", &g, &y, &dx))
        return NULL;
    Py_buffer *others[] = {&y, &dx};
    PyObject *result = NULL;
    if (check_buffers(&g, others, 2) == 0) {
        Py_ssize_t n = g.len / g.itemsize;
        Py_BEGIN_ALLOW_THREADS
        if (g.itemsize == 4) relu_backward_f32(g.buf, y.buf, dx.buf, n);
        else relu_backward_f64(g.buf, y.buf, dx.buf, n);
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&g);
    PyBuffer_Release(&y);
    PyBuffer_Release(&dx);
    return result;
}

static int bn_shape(Py_buffer *x, Py_ssize_t n, Py_ssize_t *d) {
    if ((x->itemsize != 4 && x->itemsize != 8) || n <= 0 || x->len % (n * x->itemsize) != 0) {
        PyErr_SetString(PyExc_ValueError, "batch norm kernels need a float32/float64 (n, d) batch");
        return -1;
    }
    *d = x->len / (n * x->itemsize);
    return 0;
}

static PyObject *fused_bn_forward(PyObject *self, PyObject *args) {
    Py_buffer x, gamma, beta, s_hat, y, mean, var, inv_std;
    Py_ssize_t n, d;
    double eps;
    if (!PyArg_ParseTuple(args, "y*ny*y*w*w*w*w*w*d", &x, &n, &gamma, &beta, &s_hat, &y, &mean, &var, &inv_std,
                          &eps))
        return NULL;
    PyObject *result = NULL;
    double *mu = NULL, *acc = NULL;
    if (bn_shape(&x, n, &d) == 0) {
        Py_buffer *rows[] = {&s_hat, &y}, *cols[] = {&gamma, &beta, &mean, &var, &inv_std};
        int ok = 1;
        for (int k = 0; k < 2; k++) ok &= rows[k]->len == x.len && rows[k]->itemsize == x.itemsize;
        for (int k = 0; k < 5; k++) ok &= cols[k]->len == d * x.itemsize && cols[k]->itemsize == x.itemsize;
        mu = PyMem_RawMalloc(d * sizeof(double));
        acc = PyMem_RawMalloc(d * sizeof(double));
        if (!ok) PyErr_SetString(PyExc_ValueError, "batch norm kernel: buffers of the wrong size or dtype");
        else if (!mu || !acc) PyErr_NoMemory();
        else {
            Py_BEGIN_ALLOW_THREADS
            if (x.itemsize == 4)
                bn_forward_f32(x.buf, gamma.buf, beta.buf, s_hat.buf, y.buf, mean.buf, var.buf, inv_std.buf, acc, mu,
                               n, d, eps);
            else
                bn_forward_f64(x.buf, gamma.buf, beta.buf, s_hat.buf, y.buf, mean.buf, var.buf, inv_std.buf, acc, mu,
                               n, d, eps);
            Py_END_ALLOW_THREADS
            result = Py_NewRef(Py_None);
        }
    }
    PyMem_RawFree(mu);
    PyMem_RawFree(acc);
    Py_buffer *all[] = {&x, &gamma, &beta, &s_hat, &y, &mean, &var, &inv_std};
    for (int k = 0; k < 8; k++) PyBuffer_Release(all[k]);
    return result;
}

static PyObject *fused_bn_backward(PyObject *self, PyObject *args) {
    Py_buffer dy, s_hat, gamma, inv_std, dx, dgamma, dbeta;
    Py_ssize_t n, d;
    if (!PyArg_ParseTuple(args, "y*ny*y*y*w*w*w*", &dy, &n, &s_hat, &gamma, &inv_std, &dx, &dgamma, &dbeta))
        return NULL;
    PyObject *result = NULL;
    double *acc = NULL, *acc2 = NULL;
    if (bn_shape(&dy, n, &d) == 0) {
        Py_buffer *rows[] = {&s_hat, &dx}, *cols[] = {&gamma, &inv_std, &dgamma, &dbeta};
        int ok = 1;
        for (int k = 0; k < 2; k++) ok &= rows[k]->len == dy.len && rows[k]->itemsize == dy.itemsize;
        for (int k = 0; k < 4; k++) ok &= cols[k]->len == d * dy.itemsize && cols[k]->itemsize == dy.itemsize;
        acc = PyMem_RawMalloc(d * sizeof(double));
        acc2 = PyMem_RawMalloc(d * sizeof(double));
        if (!ok) PyErr_SetString(PyExc_ValueError, "batch norm kernel: buffers of the wrong size or dtype");
        else if (!acc || !acc2) PyErr_NoMemory();
        else {
            Py_BEGIN_ALLOW_THREADS
            if (dy.itemsize == 4)
                bn_backward_f32(dy.buf, s_hat.buf, gamma.buf, inv_std.buf, dx.buf, dgamma.buf, dbeta.buf, acc, acc2, n, d);
            else
                bn_backward_f64(dy.buf, s_hat.buf, gamma.buf, inv_std.buf, dx.buf, dgamma.buf, dbeta.buf, acc, acc2, n, d);
            Py_END_ALLOW_THREADS
            result = Py_NewRef(Py_None);
        }
    }
    PyMem_RawFree(acc);
    PyMem_RawFree(acc2);
    Py_buffer *all[] = {&dy, &s_hat, &gamma, &inv_std, &dx, &dgamma, &dbeta};
    for (int k = 0; k < 7; k++) PyBuffer_Release(all[k]);
    return result;
}

static PyMethodDef methods[] = {
    {"sgd", fused_sgd, METH_VARARGS, "sgd(p, g, v, lr, wd, momentum, dampening, nesterov, first): one SGD step"},
    {"adam", fused_adam, METH_VARARGS,
     "adam(p, g, m, v, step_size, beta1, beta2, eps, sqrt_bc2, wd, decay): one Adam step"},
    {"bn_forward", fused_bn_forward, METH_VARARGS,
     "bn_forward(x, n, gamma, beta, s_hat, y, mean, var, inv_std, eps): batch norm, training mode"},
    {"bn_backward", fused_bn_backward, METH_VARARGS,
     "bn_backward(dy, n, s_hat, gamma, inv_std, dx, dgamma, dbeta): its backward pass"},
    {"relu_forward", fused_relu_forward, METH_VARARGS, "relu_forward(x, y): y = max(x, 0), NaN kept"},
    {"relu_backward", fused_relu_backward, METH_VARARGS, "relu_backward(g, y, dx): dx = g [y > 0]"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fused", "One-pass optimizer updates.", -1, methods};

PyMODINIT_FUNC PyInit__fused(void) { return PyModule_Create(&module); }
