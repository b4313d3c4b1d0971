// The API's error codes (its `code`, never its English `message`) in the words staff read.

const MESSAGES = {
  INVALID_CREDENTIALS: "用户名或密码不正确",
  TOO_MANY_ATTEMPTS: "尝试次数过多，请稍后再试",
  TOKEN_REVOKED: "登录已失效，请重新登录",
  ACCOUNT_LOCKED: "登录失败次数过多，账号已暂时锁定，请稍后再试",
  TOKEN_REQUIRED: "请先登录",
  INVALID_TOKEN: "登录已失效，请重新登录",
  TOKEN_EXPIRED: "登录已过期，请重新登录",
  WRONG_TOKEN_KIND: "此账号不能使用控制台",
  ROLE_NOT_ALLOWED: "您的岗位无权进行此操作",
  NOT_YOUR_STATION: "这不是您所在的油站",
  STATION_NOT_YOURS: "这不是您所在的油站",
  STATION_REQUIRED: "请先选择油站",
  STATION_NOT_FOUND: "找不到该油站",
  STATION_BUSY: "油站数据正在被他人修改，请重试",
  ORDER_NOT_FOUND: "找不到该订单",
  ORDER_NOT_PAID: "该订单尚未支付",
  ORDER_CLOSED: "该订单已关闭",
  ORDER_ALREADY_CONFIRMED: "该订单已确认过",
  ORDER_REFUNDED: "该订单已退款",
  ORDER_BUSY: "订单正在处理中，请稍后重试",
  ORDER_NOT_REFUNDABLE: "该订单当前不能退款",
  ACTUAL_AMOUNT_INVALID: "加油金额无效",
  ACTUAL_AMOUNT_ABOVE_PAID: "加油金额不能超过预付的油机金额",
  LITERS_INVALID: "升数无效",
  REFUND_ABOVE_REFUNDABLE: "退款金额超过可退金额",
  TOO_MANY_REFUNDS: "该订单退款次数已达上限",
  REASON_INVALID: "请填写退款原因（80字以内）",
  IDEMPOTENCY_KEY_REUSED: "此退款已以不同内容提交过，请关闭后重新发起",
  IDEMPOTENCY_KEY_REQUIRED: "请求缺少防重复标识，请刷新后重试",
  IDEMPOTENCY_KEY_INVALID: "请求的防重复标识无效，请刷新后重试",
  PRICE_INVALID: "价格无效",
  PUMP_PRICE_ABOVE_GUIDE: "挂牌价不能高于指导价",
  MEMBER_PRICE_NOT_BELOW_PUMP: "会员价必须低于挂牌价",
  UNKNOWN_MEMBER_LEVEL: "未知的会员等级",
  UNKNOWN_GRADE: "未知的油品",
  DUPLICATE_GRADE: "油品重复",
  GRADES_REQUIRED: "请至少填写一个油品",
  GRADE_NOT_SOLD: "该油站不售此油品",
  PARAM_INVALID: "填写的内容无效",
  BODY_INVALID: "填写的内容无效",
  FIELD_INVALID: "填写的内容无效",
  FIELD_REQUIRED: "请填写此项",
  PARAM_REQUIRED: "缺少必填的查询条件",
  LIMIT_OUT_OF_RANGE: "每页条数无效",
  INVALID_CURSOR: "翻页位置已失效，请刷新后重试",
  CONFIRMATION_NEEDS_MANAGER: "少加金额较大，需由站长确认",
  REFUND_REQUESTED: "司机已申请退款，请先处理退款申请",
  REFUND_REQUEST_NOT_OPEN: "该退款申请已处理过",
  // hq: popups and banners
  POPUP_TITLE_REQUIRED: "请填写标题",
  IMAGE_URL_INVALID: "图片地址须为 https:// 开头的链接",
  LINK_INVALID: "跳转页面须为小程序页面路径（pages/…）",
  POPUP_TIME_INVALID: "时间格式无效",
  POPUP_WINDOW_INVALID: "结束时间须晚于开始时间",
  POPUP_PRIORITY_INVALID: "优先级为 0 至 1000 的整数",
  POPUP_FREQUENCY_INVALID: "频次设置无效",
  POPUP_PLACEMENT_INVALID: "展示位置无效",
  TARGETING_RULE_INVALID: "投放对象设置无效（天数、半径须为正整数，名单不能为空）",
  UNKNOWN_STATION: "找不到该油站",
  POPUP_ALREADY_ENDED: "结束时间已过，请重新选择",
  POPUP_ID_TAKEN: "创建冲突，请重试",
  POPUP_NOT_FOUND: "找不到该弹窗",
  POPUP_NOT_ACTIVE: "只有投放中或未开始的弹窗可以暂停",
  POPUP_NOT_PAUSED: "只有已暂停的弹窗可以恢复",
  POPUP_ENDED: "该弹窗已结束",
  // hq: coupons and campaigns
  TITLE_REQUIRED: "请填写名称",
  TITLE_INVALID: "名称含有无法显示的字符",
  COUPON_TIME_INVALID: "时间格式无效",
  COUPON_KIND_UNKNOWN: "未知的券类型",
  COUPON_WINDOW_INVALID: "结束时间须晚于开始时间",
  COUPON_VALIDITY_INVALID: "有效天数无效",
  COUPON_STOCK_INVALID: "发行量或每人限领无效",
  COUPON_SCOPE_INVALID: "适用油站或油品不能为空（不填表示全部）",
  COUPON_FIGURE_INVALID: "优惠金额与门槛不匹配（满减券门槛须高于减免金额）",
  TOO_MANY_STATIONS: "适用油站过多",
  COUPON_ALREADY_ENDED: "结束时间已过，请重新选择",
  TEMPLATE_NOT_FOUND: "找不到该优惠券",
  TEMPLATE_STATUS_CONFLICT: "该优惠券当前状态不能进行此操作",
  TEMPLATE_NOT_ACTIVE: "该优惠券未在发放中",
  COUPON_NOT_STARTED: "该优惠券尚未开始",
  COUPON_EXPIRED: "该优惠券已过期",
  COUPON_OUT_OF_STOCK: "该优惠券已发完",
  USER_IDS_INVALID: "用户编号无效",
  CAMPAIGN_NOT_FOUND: "找不到该发放任务",
  QUEUE_UNAVAILABLE: "发放服务暂时不可用，请稍后重试",
  // hq: wallets and staff
  USER_ID_INVALID: "用户编号格式无效",
  STAFF_NOT_FOUND: "找不到该员工账号",
  // manager: stock and promotions
  INVENTORY_INVALID: "库存升数无效",
  PROMOTION_TIME_INVALID: "时间格式无效",
  PROMOTION_WINDOW_INVALID: "结束时间须晚于开始时间",
  PROMOTION_KIND_UNKNOWN: "未知的促销类型",
  PROMOTION_FIGURE_INVALID: "促销金额与类型不匹配（满额须高于立减金额）",
  PROMOTION_SCOPE_INVALID: "适用油站或油品不能为空",
  PROMOTION_ALREADY_ENDED: "结束时间已过，请重新选择",
  PROMOTION_NOT_FOUND: "找不到该促销（可能已结束）",
  CHAIN_PROMOTION_HQ_ONLY: "全连锁促销只能由总部创建",
  // pump QR codes
  SCENE_UNAVAILABLE: "油枪二维码暂时无法生成，请稍后重试",
  WECHAT_CODE_REJECTED: "微信拒绝生成该二维码",
  WECHAT_UNAVAILABLE: "微信服务暂时不可用，请稍后重试",
  // manager and hq: reconciliation
  DATE_INVALID: "日期无效",
  DATE_IN_FUTURE: "不能选择今天以后的日期",
  RECONCILIATION_NOT_FOUND: "该日尚未对账（每天上午对前一天的账单）",
  RATE_LIMITED: "操作太频繁，请稍后再试",
  UPSTREAM_UNAVAILABLE: "支付系统暂时不可用，请稍后重试",
};

const BY_STATUS = {
  403: "您无权进行此操作",
  404: "找不到要操作的内容",
  409: "数据已被他人修改，请刷新后重试",
  429: "操作太频繁，请稍后再试",
};

export const NETWORK_ERROR = "网络连接失败，请检查网络后重试";

// An error answer (or a failed fetch) as one Chinese sentence; never the raw body.
export function errorText(error) {
  if (!error) return "";
  if (error.network) return NETWORK_ERROR;
  return MESSAGES[error.code] || BY_STATUS[error.status] ||
    (error.status >= 500 ? "服务暂时不可用，请稍后重试" : "操作未成功，请检查填写的内容");
}

// Which form field an error belongs to (the API names it in `field`), for showing it there.
export function errorField(error) {
  return (error && error.field) || null;
}
