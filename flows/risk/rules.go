package risk

// Word sets the built-in rules share. Kanji words also match their kana
// reading (see wordRegexp), so 殴る covers なぐる.
const (
	// family: who hurts a child at home, in children's and guardians' words
	family = "父|母|父親|母親|お父さん|お母さん|おとうさん|おかあさん|とうさん|かあさん|パパ|ママ|親|両親|" +
		"兄|姉|お兄ちゃん|お姉ちゃん|兄ちゃん|にいちゃん|兄貴|おやじ|親父|おかん|おとん|おとう|おかあ|父ちゃん|母ちゃん|" +
		"継父|継母|義父|義母|彼氏|祖父|祖母|おじいちゃん|おばあちゃん|じいちゃん|ばあちゃん|夫|主人|旦那|元夫|内縁"
	// parent: who leaves a child alone
	parent = "父|母|父親|母親|お父さん|お母さん|おとうさん|おかあさん|パパ|ママ|親|両親|おかん|おとん"
	// child: a guardian's own child
	child = "子ども|子供|こども|息子|娘|我が子|子"
	// violence: verbs of hitting and hurting
	violence = "殴る|蹴る|叩く|たたく|ぶつ|ぶん殴る|しばく|どつく|殴りつける|蹴り飛ばす|突き飛ばす|投げつける|" +
		"押しつける|押し付ける|絞める|しめる|引っぱる|引っ張る|殺す|踏む|つねる"
	// peer: who bullies
	peer = "友達|友だち|ともだち|クラス|クラスメイト|男子|女子|先輩|同級生|上級生|あいつ|あいつら|やつら|みんな|全員"
	// self: the writer
	self = "私|わたし|僕|ぼく|俺|おれ|自分|じぶん|うち|あたし|わし|なんか|なんて|なんぞ"
	// die: verbs of dying and disappearing
	die = "死ぬ|しぬ|消える|消え去る|消え失せる|消えてなくなる|いなくなる|逝く|飛び降りる|とびおりる"
	// want: the desiderative and its colloquial forms (死にたい, 死にてぇ)
	want = "たい@助動詞"
	// neg: a negation (ない, ん, ぬ, ねぇ)
	neg = "ない|ん|ぬ|ねぇ|ねー"
	// cannot: not being given or let (もらえない, くれない), as one word
	cannot = "もらえない|もらえん|もらえへん|もらえねぇ|くれない|くれん|くれへん"
)

// builtinRules are tried in order; the first that matches wins, so the
// more specific come first (sexual harm before hitting, family before
// classmates).
var builtinRules = []builtinRule{
	// 希死念慮: wishing to die or disappear
	{id: "suicidal.wish", cat: Suicidal, neg: negGentle, patterns: []string{
		die + " て|で? しまう|ちゃう|じゃう? " + want,
		"自殺する|じさつする " + want,
		"電車|線路|ホーム|車 に 飛び込む " + want,
		"首 を? 吊る|つる " + want,
		"永遠 に 眠る " + want,
		"終わり|おわり に する " + want,
	}, unless: []string{"プール|海|川|水 に 飛び込む", "宿題|勉強|テスト|仕事 ... 終わり"}},
	{id: "suicidal.intent", cat: Suicidal, neg: negGentle, patterns: []string{
		"死ぬ|消える|自殺する|じさつする|飛び降りる|飛び込む|首吊る う|よう@助動詞",
		"首 を? 吊る|つる う|よう@助動詞",
		"死ねる|" + die + " た|だ|ば|たら|ら ... 楽|らく|まし|マシ",
		"死ぬ た|だ ほう|方 が まし|マシ|いい|楽|らく",
		die + " ちゃ|じゃ いる " + want,
		"死ぬ|死ねる|消える|きえる|いなくなる ば いい|よい|ええ",
		"遺書",
		"自殺|死ぬ ... 方法|やり方|調べる|検索",
		"死に方",
		"死ぬ|しぬ しか ない",
		"薬|くすり を? ためる|貯める|溜める",
		"殺す て くれる|ほしい|欲しい",
	}, unless: []string{"ゲーム|キャラ|ゾンビ|敵|漫画|マンガ|アニメ|ドラマ|映画"}},
	{id: "suicidal.no_reason_to_live", cat: Suicidal, patterns: []string{
		"生きる|生きとる|いきる ... 意味|価値|理由|甲斐 ... " + neg + "|わかる",
		"生きる|いきる ... の が? つらい|辛い|しんどい|苦しい|疲れる|いや|嫌|めんどくさい",
		"生きる|いきる の を? やめる|辞める|止める",
		"なんで|何で|なぜ 生きる",
		"なんの|何の ため に 生きる",
		"生きる|いきる て? いる|いたい " + want + "? " + neg,
		"生きる|いきる ... 自信 ... " + neg,
		"生きる|いきる ... しょうがない|仕方ない|しょうがねぇ|しょうがねえ",
		self + " .... いる|おる|いきる " + neg + " ほう|方",
		"生きる|いきる とる|てる|て|いる ... しょうがない|仕方ない|しょうがねぇ|仕方がない|しかたない",
		"いなくなる て? も ... 誰 も",
		"生まれる|うまれる て くる " + neg + "? ... よい|良い|いい|よかっ",
		"生まれる|うまれる て くる て? ごめん|すみません|ごめんなさい",
		"明日|朝 が? 来る|くる " + neg + " ... いい|よい",
		"目 が 覚める " + neg + " ... いい|よい",
	}},
	// 自傷: self-harm, any tense
	{id: "self_harm.cut", cat: SelfHarm, patterns: []string{
		"手首|腕|うで|太もも|ふともも|もも|自分|体|からだ を? ... 切る|きる|切り刻む",
		"手首|腕|うで|太もも ... 切り傷|傷跡|傷あと|傷",
		"カッター|カミソリ|剃刀|刃 .... 切る",
		"カッター|カミソリ|剃刀|刃 ... 手首|腕|太もも",
		"手首|腕|太もも ... カッター|カミソリ|剃刀|刃",
		"切る と|たら 落ち着く|楽|安心",
		"切る ... 眠る|眠れる|寝る|落ち着く|おえる|気が済む",
		"また 切る て? しまう|ちゃう",
		"切る " + want + " ... 衝動|気持ち|止まる|とまる",
		"切る 衝動",
		"傷 ... ばれる|隠す|見られる",
	}, unless: []string{"紙|段ボール|だんぼーる|布|テープ|工作|図工|野菜|髪|前髪|爪|料理|包丁|指"}},
	{id: "self_harm.act", cat: SelfHarm, patterns: []string{
		"自分 の? ... 殴る|叩く|たたく|傷つける|痛めつける|傷付ける|噛む|かむ|かみちぎる|噛みちぎる|ひっかく|引っかく|焼く",
		"自分 で 首 を 絞める|しめる",
		"血 が 出る まで",
		"頭 を? 壁 に? 打ちつける|打ち付ける|ぶつける",
		"壁 に 頭 を 打ちつける|打ち付ける|ぶつける",
		"髪|髪の毛|まつげ|まつ毛 を 抜く .... やめる|止める",
		"爪 を はがす|剥がす",
		"タバコ|たばこ ... 自分 ... 押しつける|押し付ける",
		"od|ｏｄ する",
		"薬|くすり|市販薬|風邪薬|睡眠薬 .... 大量|たくさん|いっぱい|全部|ぜんぶ|箱|一気に|まとめて|錠|シート|瓶 .... 飲む|のむ",
		"根性焼き",
	}},
	// 性的虐待: sexual harm, mostly said indirectly
	{id: "sexual_abuse.touch", cat: SexualAbuse, patterns: []string{
		"触る|さわる れる|られる",
		"胸|体|からだ|おしり|お尻|股|下着|パンツ|変|へん ... 触る|さわる て? くる",
		"パンツ|下着 の 中 に 手",
		"夜中|夜 .... 布団|部屋|ベッド に 入る て くる|いく",
		"布団|ベッド|風呂|お風呂|トイレ に 入る て くる",
		"一緒 に ... 入る|入れる|寝る ... 言う れる|られる",
		"裸|はだか|下着|下着姿 ... 写真|画像|動画",
		"写真|画像 .... 脅す",
		"ばらまく .... 脅す",
		"エッチ|えっち|いやらしい|いや|嫌|変|へん な こと .... れる|られる|くる",
		"エッチ|えっち|いやらしい ... 見せる られる|れる",
		"無理やり|むりやり|無理矢理 ... する|さ れる",
		"無理やり|むりやり|無理矢理 キス",
		"脱ぐ|脱がす|ぬぐ|ぬがす せる? れる|られる",
		"性的",
		"体|からだ|裸|はだか|胸|下着|服|パンツ を? 見せる|脱ぐ|脱がす|触る|さわる って|と ... 言う れる|られる",
		"風呂|お風呂|着替え|トイレ ... のぞく|覗く",
		"キス|きす する って|と ... 言う れる|られる",
		"ホテル ... 連れる",
		"痴漢 さ? れる",
		"痴漢 に あう|遭う|ある",
	}, unless: []string{"髪|頭|肩|美容院|なでる"}},
	// 身体的虐待: violence at home, told by a child or a guardian
	{id: "physical_abuse.family", cat: PhysicalAbuse, patterns: []string{
		family + " に|から .... " + violence + "|やる|しばく|閉じ込める れる|られる",
		family + " が|は .... " + violence + " て? くる",
		family + " が|は .... " + self + "|" + child + "|弟|妹 を ... " + violence,
		family + " ... 殴る 蹴る",
		family + " が|は ... " + violence,
		"殴る 蹴る",
		family + " が|は ... 手 を あげる|上げる|挙げる",
		family + " ... 暴力",
		violence + " て くる",
	}, unless: []string{"肩|背中 を? 叩く|たたく", "ボール|サッカー|ゲーム|プロレス|ごっこ|キャッチボール|映画|アニメ|漫画|マンガ|ドラマ|アクション"}},
	{id: "physical_abuse.guardian", cat: PhysicalAbuse, patterns: []string{
		child + " を ... " + violence + " て|で しまう|ちゃう",
		child + " を ... " + violence + " そう",
		child + " を ... " + violence + " ます|た",
		child + " に ... 手 を あげる|上げる",
		"手 を あげる|上げる て しまう|ちゃう",
		child + " の 首 を 絞める|しめる",
	}, unless: []string{"上の子|下の子|兄弟|きょうだい"}},
	{id: "physical_abuse.violence", cat: PhysicalAbuse, patterns: []string{
		"暴力 を? ふるう|振るう れる|られる",
		"暴力 を 受ける",
		"虐待|ぎゃくたい する|さ れる|られる",
		"虐待|ぎゃくたい を 受ける",
		"虐待|ぎゃくたい し て しまう",
		"お湯|熱湯|おゆ を かける られる|れる",
		"あざ|アザ ... " + family,
		"dv",
	}},
	// ネグレクト: not fed, not let in, left alone
	{id: "neglect.not_cared_for", cat: Neglect, patterns: []string{
		"食べる|たべる させる? て " + cannot,
		"家|うち|部屋 に? 入れる|入る|はいる ... " + cannot,
		"家|うち に? 入れる|入る|はいる " + neg,
		"風呂|お風呂 に 入れる|入る ... " + cannot,
		"病院|歯医者|医者|学校 に? ... 連れる|行く|行かせる ... " + cannot,
		"洗う|洗濯 ... " + cannot,
		"ご飯|ごはん|飯|弁当|お弁当|食事|夕飯|夜ご飯|晩ご飯 ... 作る|用意 ... " + cannot,
		"ご飯|ごはん|飯|弁当|食事 ... くれない|くれん",
		"暖房|エアコン|ストーブ ... " + cannot,
		"同じ 服",
	}, unless: []string{"お菓子|おやつ|アイス|ジュース|ケーキ|ゲーム|スマホ|忘れる|遊園地"}},
	{id: "neglect.no_food", cat: Neglect, patterns: []string{
		"家|うち|冷蔵庫 ... 食べ物|たべもの|ご飯|ごはん|食べるもの|たべるもの ... " + neg,
		"食べ物|たべもの|食べるもの が? " + neg,
		"冷蔵庫 ... 何 も " + neg,
		"日|昨日|きのう|ずっと|何日 .... 何|なに も 食べる て? " + neg,
		"給食 しか 食べる",
		"給食 だけ|しか",
		"ご飯|ごはん|食べ物|たべもの|食べるもの も ない|なかっ",
		"今日も|また|いつも|毎日|ずっと ... ご飯|ごはん|夕飯|晩ご飯|夜ご飯 ... ない|なかっ|なし",
		"冷蔵庫 ... からっぽ|空っぽ|何もない",
		"ご飯|ごはん ... いつも|毎日|ずっと " + neg,
		"ご飯|ごはん|食事 を? 用意 できる " + neg,
		"食べる させる もの が? " + neg + "|ある",
		"水 だけ",
	}},
	{id: "neglect.alone", cat: Neglect, patterns: []string{
		"何日も|なん日も ... 一人|ひとり|独り",
		"何日も|なん日も ... 帰る|いる|帰れる|入る|着替える|洗う|食べる て? いる? " + neg,
		"日 ... 一人|ひとり で ... 食べる",
		parent + " ... 帰ってこない|帰ってこん|帰ってこなく|帰ってきてない|帰ってこね|帰らない",
		parent + " ... 何日も ... いる " + neg,
		parent + " ... いる " + neg + " 日 が 多い",
		child + " だけ に する|して",
		child + " を 置く て ... 出る",
		"世話 が? できる て? いる? " + neg + "|ませ",
		"食事|ご飯|ごはん を? 用意 できる て? いる? " + neg + "|ませ",
		"ごはん|ご飯 は 自分 で",
		"電気|水道|ガス が? 止まる|止める|とめる",
		"ベランダ|外 に 出す|出さ れる|られる",
		"締め出す|閉め出す れる|られる",
	}, unless: []string{"出張|旅行|単身赴任|入院|夜勤|停電|台風|地震|工事"}},
	// 居場所・家出: nowhere to go, running away
	{id: "runaway.leave_home", cat: Runaway, patterns: []string{
		"家出",
		"家|うち|いえ|自宅 に? ... 帰る|戻る|かえる|いる|おる " + want + " " + neg,
		"家|うち|いえ|自宅 に? いたくない|おりたくない|いたくねぇ|おりとうない|おりとうねぇ",
		"家|うち|いえ に? ... 帰りとうない|帰りとうねぇ|おりとうない|おりとうねぇ|かえりとうない",
		"家|うち に いる の が つらい|しんどい|嫌|いや|こわい|怖い",
		"家|うち が|は こわい|怖い|地獄",
		"家|うち を 出る " + want,
		"家|うち|親|父|母|夫 から 逃げる " + want,
		"家|うち を 飛び出す",
		"家|うち を 出る て いく|行く",
		"家|うち を 追い出す れる|される|られる",
		"もう|今日|今夜|二度と .... 家|うち ... 帰る|戻る " + neg,
		"帰る|戻る " + neg + " つもり",
		"家|うち .... 帰れる " + neg,
		"から 家 に 帰る て " + neg,
		"から 帰る て くる " + neg,
	}, unless: []string{"猫|ネコ|ねこ|犬|イヌ|いぬ|ペット|ハムスター|ごっこ|雨|電車|バス|遅い|部活|水族館|遊園地|出張|単身赴任"}},
	{id: "runaway.nowhere", cat: Runaway, patterns: []string{
		"居場所 ... " + neg,
		"行く|泊まる|寝る|帰る|いる|住む ところ|所|場所|とこ が? " + neg,
		"行く|泊まる|寝る|帰る|いる|住む ところ|所|場所|とこ が? ある ませ",
		"公園|駅|コンビニ|外 で 夜 を 過ごす",
		"公園|駅|コンビニ で 寝る",
		"ネカフェ|ネットカフェ|漫画喫茶|マンガ喫茶 に 泊まる",
		"転々",
		"神待ち",
	}},
	// いじめ: bullying, severe enough to look at now
	{id: "bullying.bullied", cat: Bullying, patterns: []string{
		"いじめる|いじめ れる|られる",
		"いじめ を? 受ける|あう|遭う",
		"いじめ に あう|遭う|ある",
		"仲間外れ|仲間はずれ|のけもの|除け者",
		"ばい菌|バイ菌|菌 扱い",
		"パシリ",
	}},
	{id: "bullying.harassed", cat: Bullying, patterns: []string{
		peer + "|毎日|ずっと|いつも ... 無視",
		"クラス ... 無視",
		"死ね|しね|4ね|氏ね|死ぬ|消える|消えろ|きえろ|消え失せる|きもい|キモい|うざい|くさい|臭い|ブス|デブ|ばい菌 って|と ... 言う れる|られる",
		"お金|金 を? 取る|とる|盗る れる|られる",
		"お金|金 ... 持つ て くる|こい",
		"靴|上履き|上靴|教科書|筆箱|ふでばこ|体操服|体操着|持ち物|ノート|かばん|カバン|机|いす|物 ... 隠す|かくす|捨てる|壊す|破る|破く|切る|汚す|落書き|らくがき さ? れる|られる",
		"悪口|陰口 ... 書く|言う れる|られる",
		"晒す|さらす れる|られる",
		"グループ|ライン ... 外す れる",
		"閉じ込める られる|れる",
		"水 を? かける られる|れる",
		peer + "|子 ... " + violence + " れる|られる",
	}, unless: []string{"ガチャ|課金|既読|ゲーム|水鉄砲|水遊び|プール", "肩|背中 を? 叩く|たたく"}},
	// physical violence with no one named
	{id: "physical_abuse.hit", cat: PhysicalAbuse, patterns: []string{
		"殴る|蹴る|ぶつ|しばく|どつく|殺す れる|られる",
	}, unless: []string{"サッカー|試合|ボール|ゲーム|キャラ|夢|漫画|マンガ|映画|ドラマ|プロレス|ごっこ|虫|蚊"}},
	// a plain call for help
	{id: "other.help", cat: Other, patterns: []string{
		"助ける て",
	}, unless: []string{"もらう|くれる|あげる|くださる|いただく|宿題|勉強|テスト|問題|ゲーム|ありがとう"}},
}

// builtinPhrases are the surface layer: what the analyser cannot read
// (romaji, net slang, spellings that break words, emoji), matched on the
// Compact'ed message.
var builtinPhrases = []builtinPhrase{
	{text: "shinitai", cat: Suicidal},
	{text: "sinitai", cat: Suicidal},
	{text: "kietai", cat: Suicidal},
	{text: "4にたい", cat: Suicidal},
	{text: "氏にたい", cat: Suicidal},
	{text: "タヒにたい", cat: Suicidal},
	{text: "タヒたい", cat: Suicidal},
	{text: "しにたぃ", cat: Suicidal},
	{text: "しにてー", cat: Suicidal},
	{text: "しにてぇ", cat: Suicidal},
	{text: "しにたみ", cat: Suicidal},
	{text: "きえたみ", cat: Suicidal},
	{text: "首吊", cat: Suicidal},
	{text: "しんだら", cat: Suicidal, with: []string{"楽", "らく", "まし"}},
	{text: "しにたい", cat: Suicidal},
	{text: "きえたい", cat: Suicidal},
	{text: "いきていたくない", cat: Suicidal},
	{text: "生きとってもしょうがね", cat: Suicidal},
	{text: "生きててもしょうがな", cat: Suicidal},
	{text: "首つり", cat: Suicidal},
	{text: "くびつり", cat: Suicidal},
	{text: "じさつしたい", cat: Suicidal},
	{text: "リスカ", cat: SelfHarm},
	{text: "リストカット", cat: SelfHarm},
	{text: "アムカ", cat: SelfHarm},
	{text: "レグカ", cat: SelfHarm},
	{text: "risuka", cat: SelfHarm},
	{text: "自傷", cat: SelfHarm},
	{text: "オーバードーズ", cat: SelfHarm},
	{text: "根性焼き", cat: SelfHarm},
	{text: "🔪🩸", cat: SelfHarm},
	{text: "🩸🔪", cat: SelfHarm},
	{text: "手首🔪", cat: SelfHarm},
	{text: "腕🔪", cat: SelfHarm},
	{text: "ぎゃくたいされ", cat: PhysicalAbuse},
	{text: "しばかれ", cat: PhysicalAbuse},
	{text: "どつかれ", cat: PhysicalAbuse},
	{text: "ほっぺたたかれ", cat: PhysicalAbuse},
	{text: "レイプ", cat: SexualAbuse},
	{text: "パパ活", cat: SexualAbuse},
	{text: "援交", cat: SexualAbuse},
	{text: "援助交際", cat: SexualAbuse},
	{text: "いえでしたい", cat: Runaway},
	{text: "いえでする", cat: Runaway},
	{text: "いえでしよう", cat: Runaway},
	{text: "いえでちゅう", cat: Runaway},
	{text: "神待ち", cat: Runaway},
	{text: "泊まるとこない", cat: Runaway},
	{text: "寝るとこない", cat: Runaway},
	{text: "行くとこない", cat: Runaway},
	{text: "いくとこない", cat: Runaway},
	{text: "帰るとこない", cat: Runaway},
	{text: "いじめらて", cat: Bullying},
	{text: "はぶられ", cat: Bullying},
	{text: "ハブられ", cat: Bullying},
	{text: "むしされ", cat: Bullying},
	{text: "しねって", cat: Bullying, with: said},
	{text: "4ねって", cat: Bullying, with: said},
	{text: "氏ねって", cat: Bullying, with: said},
	{text: "きもいって", cat: Bullying, with: said},
	{text: "うざいって", cat: Bullying, with: said},
	{text: "きえろって", cat: Bullying, with: said},
	{text: "たすけて", cat: Other, unless: []string{"宿題", "しゅくだい", "勉強", "テスト", "てすと"}},
}

// said is "being told", for insults typed in kana the analyser misreads
// (しねって言われる).
var said = []string{"言われ", "いわれ", "言って", "いって"}
